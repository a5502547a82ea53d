// ScenarioContext: what every scenario error message needs to say where it is — the origin file,
// the dotted JSON path, and (for values a sweep point or --set put there) where the value came
// from. Also the folder that relative model paths resolve against.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rooflm {

// A value placed at `path` by something other than the file's own text.
struct ValueSource {
  std::string path;  // "engine.kernels"
  std::string name;  // "sweep[\"engine.kernels\"][1]" or "--set engine.kernels=naive"
};

struct ScenarioContext {
  std::string origin;                 // the scenario file (leads every message)
  std::filesystem::path base_dir;     // relative model.config / model.weights resolve against it
  std::vector<ValueSource> sources;   // later entries win

  // "\"engine.kernels\"", plus " (from sweep[\"engine.kernels\"][1])" when a source put the value
  // at that path or at one of its parents.
  std::string where(std::string_view path) const;

  // Throws InputError "origin: message".
  [[noreturn]] void fail(const std::string& message) const;
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string child_path(std::string_view parent, std::string_view key);

}  // namespace rooflm
