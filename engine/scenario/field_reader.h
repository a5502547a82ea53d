// FieldReader: reads the typed fields of one closed object of a scenario, checking type and range
// and naming the origin and dotted path in every error:
//   scenarios/x.json: "workload.requests" must be an integer, got string
//   scenarios/x.json: "workload.arrival.rate" must be > 0, got -3
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/variant.h"
#include "engine/scenario/scenario_context.h"

namespace rooflm {

// An interval for a number field; prints as "> 0", ">= 0" or "in (0, 1]".
struct NumberRange {
  double lower = -std::numeric_limits<double>::infinity();
  bool lower_open = false;
  double upper = std::numeric_limits<double>::infinity();
  bool upper_open = false;

  bool contains(double x) const;
  std::string text() const;
};
NumberRange at_least(double lower);
NumberRange greater_than(double lower);
NumberRange open_closed(double lower, double upper);
NumberRange closed(double lower, double upper);

class FieldReader {
 public:
  // `object` is the value at `path` (nullptr: the key is absent, read as an empty object). Fails
  // unless it is an object holding only keys the format defines at `path`.
  FieldReader(const nlohmann::ordered_json* object, std::string path, const ScenarioContext& ctx);

  const std::string& path() const { return path_; }
  const ScenarioContext& context() const { return ctx_; }
  std::string key_path(std::string_view key) const { return child_path(path_, key); }
  const nlohmann::ordered_json* find(std::string_view key) const;  // nullptr when absent
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Fails on any present key outside `keys`; `because` says why they are the only ones
  // (e.g. "dist \"uniform\"").
  void allow_only(const std::vector<std::string>& keys, const std::string& because) const;
  [[noreturn]] void fail_missing(std::string_view key) const;

  std::string text(std::string_view key, const std::string& fallback) const;
  std::string required_text(std::string_view key) const;
  std::string choice(std::string_view key, const std::vector<std::string>& allowed,
                     const std::string& fallback) const;
  // A choice among `allowed` spellings of an enum's name table (parse once, pass enums).
  template <class E, size_t N>
  E enum_choice(std::string_view key, const std::array<EnumName<E>, N>& table, const std::vector<E>& allowed,
                E fallback) const {
    std::vector<std::string> names;
    for (E value : allowed) names.emplace_back(enum_name(table, value));
    return *parse_enum(table, choice(key, names, std::string(enum_name(table, fallback))));
  }
  int64_t integer(std::string_view key, int64_t fallback, int64_t min,
                  int64_t max = std::numeric_limits<int64_t>::max()) const;
  int64_t integer_choice(std::string_view key, const std::vector<int64_t>& allowed, int64_t fallback) const;
  uint64_t seed(std::string_view key) const;  // any integer >= 0 up to 2^64 - 1; absent: 0
  double number(std::string_view key, double fallback, const NumberRange& range) const;
  std::optional<double> optional_number(std::string_view key, const NumberRange& range) const;
  bool boolean(std::string_view key, bool fallback) const;
  FieldReader object(std::string_view key) const;

 private:
  [[noreturn]] void fail_type(std::string_view key, const std::string& expected) const;

  const nlohmann::ordered_json* object_;
  std::string path_;
  const ScenarioContext& ctx_;
};

}  // namespace rooflm
