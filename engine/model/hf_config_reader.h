// HfConfigReader: typed reads of one JSON object of a Hugging Face config.json (the top level, or a
// nested object such as rope_scaling) whose every error names the file and the field's dotted
// path ("rope_scaling.factor"). Internal to engine/model/hf_*.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace rooflm {

class HfConfigReader {
 public:
  // `object` must outlive the reader. `prefix` is the dotted path of the object ("" at the top).
  HfConfigReader(std::filesystem::path file, const nlohmann::json& object, std::string prefix = "");

  [[noreturn]] void fail(const std::string& what) const;
  // The field's path as messages quote it: "\"rope_scaling.factor\"".
  std::string quoted(const char* field) const;

  // Present and not null.
  bool has(const char* field) const;
  const nlohmann::json& at(const char* field) const { return object_.at(field); }
  const nlohmann::json& json() const { return object_; }

  int64_t positive_integer(const char* field) const;  // missing: "missing required field"
  int64_t positive_integer_or(const char* field, int64_t fallback) const;
  double number(const char* field) const;
  double number_or(const char* field, double fallback) const;
  bool boolean_or(const char* field, bool fallback) const;
  std::string text_or(const char* field, const std::string& fallback) const;
  // The nested object `field` (required to be an object) with this reader's file and path.
  HfConfigReader object(const char* field) const;

 private:
  void require(const char* field) const;
  int64_t positive_integer_value(const char* field) const;
  double number_value(const char* field) const;

  std::filesystem::path file_;
  const nlohmann::json& object_;
  std::string prefix_;
};

}  // namespace rooflm
