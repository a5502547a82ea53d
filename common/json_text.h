// parse_json_text: the one way rooflm reads JSON it is given (scenario files, --set values,
// config.json, safetensors headers and indexes, traces and datasets, GPU specs, calibrations,
// results, gate policies). On top of nlohmann's parser it enforces the limits every input gets:
// nesting at most kMaxJsonDepth levels (deeper values would exhaust the stack of the recursive
// code that walks them), numbers that fit a double (1e400 is refused, not read as inf), no key twice
// in one object, and files of at most a stated size. Every error is a JsonTextError (an InputError,
// exit 2) that starts with "origin:line:column: ".
//   nlohmann::json config = read_json_file("model/config.json", kMaxConfigFileBytes);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace rooflm {

// Deepest nesting of arrays and objects any input may have (a scenario needs 5, results 8).
inline constexpr int kMaxJsonDepth = 64;

// Size limits of whole JSON files, by what they hold.
// (results files: kMaxResultsFileBytes, 1 GiB, in engine/results/results_reader.h)
inline constexpr int64_t kMaxSmallJsonFileBytes = int64_t(16) << 20;  // scenario, config.json, spec, policy, index
inline constexpr int64_t kMaxJsonlFileBytes = int64_t(256) << 20;     // arrival traces, length datasets

struct JsonTextOptions {
  bool comments = false;   // accept // and /* */ comments (scenario files)
  int64_t first_line = 1;  // line number of the text's first line (a JSONL line's number in its file)
};

class JsonTextError : public InputError {
 public:
  enum class Kind { syntax, depth, number, duplicate_key, file };
  JsonTextError(Kind kind, const std::string& message) : InputError(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Parses `text`; `origin` (a file name, "--set x=...") leads every message:
//   origin:3:11: JSON syntax error: syntax error while parsing value - unexpected ','
//   origin:1:70: JSON nested deeper than 64 levels (the limit) at "sweep.engine.kernels[0][0]..."
//   origin:2:26: number 1e400 does not fit a double (|x| <= 1.8e308)
//   origin: duplicate key "engine.kernels"
nlohmann::json parse_json_text(std::string_view text, const std::string& origin, const JsonTextOptions& options = {});
// The same, keeping the key order of the text (scenario files: a sweep expands in that order).
nlohmann::ordered_json parse_ordered_json_text(std::string_view text, const std::string& origin,
                                               const JsonTextOptions& options = {});

// The bytes of `file`, refusing a folder, a file that cannot be opened and one larger than
// `max_bytes` (also a device or pipe that never ends: only max_bytes + 1 bytes are read). `what`
// names the file's role in messages ("scenario file", "config.json").
std::string read_text_file(const std::filesystem::path& file, int64_t max_bytes, const std::string& what = "file");

// read_text_file + parse_json_text, `file` as the origin.
nlohmann::json read_json_file(const std::filesystem::path& file, int64_t max_bytes, const std::string& what,
                              const JsonTextOptions& options = {});

}  // namespace rooflm
