// FieldReader: typed, range-checked reads of scenario fields with path-naming errors.
#include "engine/scenario/field_reader.h"

#include <algorithm>
#include <cmath>

#include "engine/scenario/scenario_keys.h"

namespace rooflm {
namespace {

using ordered_json = nlohmann::ordered_json;

const ordered_json& empty_object() {
  static const ordered_json empty = ordered_json::object();
  return empty;
}

// "got string" for a wrong type; "got 2.5" for a number that is not an integer.
std::string got(const ordered_json& value) {
  return "got " + std::string(value.is_number() ? value.dump() : value.type_name());
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : std::string(separator)) + word;
  return text;
}

// 0 -> "0", 0.5 -> "0.5" (bounds print as they would be written in the file).
std::string number_text(double x) {
  return std::floor(x) == x && std::abs(x) < 0x1p53 ? std::to_string(int64_t(x)) : ordered_json(x).dump();
}

}  // namespace

bool NumberRange::contains(double x) const {
  const bool above = lower_open ? x > lower : x >= lower;
  const bool below = upper_open ? x < upper : x <= upper;
  return above && below;
}

std::string NumberRange::text() const {
  if (std::isinf(upper)) return std::string(lower_open ? "> " : ">= ") + number_text(lower);
  return "in " + std::string(lower_open ? "(" : "[") + number_text(lower) + ", " + number_text(upper) +
         (upper_open ? ")" : "]");
}

NumberRange at_least(double lower) { return NumberRange{lower, false}; }
NumberRange greater_than(double lower) { return NumberRange{lower, true}; }
NumberRange open_closed(double lower, double upper) { return NumberRange{lower, true, upper, false}; }
NumberRange closed(double lower, double upper) { return NumberRange{lower, false, upper, false}; }

FieldReader::FieldReader(const ordered_json* object, std::string path, const ScenarioContext& ctx)
    : object_(object ? object : &empty_object()), path_(std::move(path)), ctx_(ctx) {
  if (!object_->is_object())
    ctx_.fail(ctx_.where(path_) + " must be an object, got " + object_->type_name());
  const std::vector<std::string> valid = scenario_child_keys(path_);
  for (const auto& [key, value] : object_->items()) {
    if (std::find(valid.begin(), valid.end(), key) == valid.end())
      ctx_.fail("unknown key " + ctx_.where(key_path(key)) + unknown_key_hint(key, valid));
  }
}

const ordered_json* FieldReader::find(std::string_view key) const {
  const auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

void FieldReader::allow_only(const std::vector<std::string>& keys, const std::string& because) const {
  for (const auto& [key, value] : object_->items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      ctx_.fail(ctx_.where(key_path(key)) + " is not used with " + because + " (it takes: " +
                join(keys, ", ") + ")");
  }
}

void FieldReader::fail_missing(std::string_view key) const {
  ctx_.fail("missing required key " + ctx_.where(key_path(key)));
}

void FieldReader::fail_type(std::string_view key, const std::string& expected) const {
  ctx_.fail(ctx_.where(key_path(key)) + " must be " + expected + ", " + got(*find(key)));
}

std::string FieldReader::text(std::string_view key, const std::string& fallback) const {
  const ordered_json* value = find(key);
  if (!value) return fallback;
  if (!value->is_string()) fail_type(key, "a string");
  return value->get<std::string>();
}

std::string FieldReader::required_text(std::string_view key) const {
  if (!has(key)) fail_missing(key);
  const std::string value = text(key, "");
  if (value.empty()) ctx_.fail(ctx_.where(key_path(key)) + " must not be empty");
  return value;
}

std::string FieldReader::choice(std::string_view key, const std::vector<std::string>& allowed,
                                const std::string& fallback) const {
  const std::string value = text(key, fallback);
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
  const auto nearest = nearest_word(value, allowed);
  ctx_.fail(ctx_.where(key_path(key)) + " must be one of " + join(allowed, "|") + ", got \"" + value +
            "\"" + (nearest ? " (did you mean \"" + *nearest + "\"?)" : ""));
}

int64_t FieldReader::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  const ordered_json* value = find(key);
  if (!value) return fallback;
  // 16.0 and 1e12 are accepted as integers; 2.5 is not an integer.
  const double d = value->is_number_float() ? value->get<double>() : 0;
  const bool integral_float = value->is_number_float() && std::isfinite(d) && std::floor(d) == d;
  if (!value->is_number_integer() && !integral_float) fail_type(key, "an integer");
  const bool beyond_int64 = (value->is_number_unsigned() && value->get<uint64_t>() > uint64_t(max)) ||
                            (integral_float && std::abs(d) >= 0x1p62);
  const int64_t x = beyond_int64 ? 0 : integral_float ? int64_t(d) : value->get<int64_t>();
  if (beyond_int64 || x < min || x > max) {
    const std::string range = max == std::numeric_limits<int64_t>::max()
                                  ? ">= " + std::to_string(min)
                                  : "in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    ctx_.fail(ctx_.where(key_path(key)) + " must be " + range + ", got " + value->dump());
  }
  return x;
}

int64_t FieldReader::integer_choice(std::string_view key, const std::vector<int64_t>& allowed,
                                    int64_t fallback) const {
  const int64_t x = integer(key, fallback, std::numeric_limits<int64_t>::min());
  if (std::find(allowed.begin(), allowed.end(), x) != allowed.end()) return x;
  std::vector<std::string> words;
  for (int64_t a : allowed) words.push_back(std::to_string(a));
  ctx_.fail(ctx_.where(key_path(key)) + " must be one of " + join(words, "|") + ", got " + std::to_string(x));
}

uint64_t FieldReader::seed(std::string_view key) const {
  const ordered_json* value = find(key);
  if (!value) return 0;
  if (value->is_number_unsigned()) return value->get<uint64_t>();
  if (value->is_number() && !(value->get<double>() >= 0 && value->get<double>() < 0x1p64))
    ctx_.fail(ctx_.where(key_path(key)) + " must be an integer in [0, 18446744073709551615], got " + value->dump());
  return uint64_t(integer(key, 0, 0));
}

double FieldReader::number(std::string_view key, double fallback, const NumberRange& range) const {
  return optional_number(key, range).value_or(fallback);
}

std::optional<double> FieldReader::optional_number(std::string_view key, const NumberRange& range) const {
  const ordered_json* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_number()) fail_type(key, "a number");
  const double x = value->get<double>();
  if (!range.contains(x))
    ctx_.fail(ctx_.where(key_path(key)) + " must be " + range.text() + ", got " + value->dump());
  return x;
}

bool FieldReader::boolean(std::string_view key, bool fallback) const {
  const ordered_json* value = find(key);
  if (!value) return fallback;
  if (!value->is_boolean()) fail_type(key, "true or false");
  return value->get<bool>();
}

FieldReader FieldReader::object(std::string_view key) const {
  return FieldReader(find(key), key_path(key), ctx_);
}

}  // namespace rooflm
