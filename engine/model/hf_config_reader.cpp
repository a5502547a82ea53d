// HfConfigReader: typed field reads of a Hugging Face config.json object, errors naming file and field.
#include "engine/model/hf_config_reader.h"

#include "common/error.h"

namespace rooflm {

HfConfigReader::HfConfigReader(std::filesystem::path file, const nlohmann::json& object, std::string prefix)
    : file_(std::move(file)), object_(object), prefix_(std::move(prefix)) {}

void HfConfigReader::fail(const std::string& what) const { throw InputError(file_.string() + ": " + what); }

std::string HfConfigReader::quoted(const char* field) const { return "\"" + prefix_ + field + "\""; }

bool HfConfigReader::has(const char* field) const { return object_.contains(field) && !object_.at(field).is_null(); }

void HfConfigReader::require(const char* field) const {
  if (!has(field)) fail("missing required field " + quoted(field));
}

int64_t HfConfigReader::positive_integer(const char* field) const {
  require(field);
  return positive_integer_value(field);
}

int64_t HfConfigReader::positive_integer_or(const char* field, int64_t fallback) const {
  return has(field) ? positive_integer_value(field) : fallback;
}

double HfConfigReader::number(const char* field) const {
  require(field);
  return number_value(field);
}

double HfConfigReader::number_or(const char* field, double fallback) const {
  return has(field) ? number_value(field) : fallback;
}

bool HfConfigReader::boolean_or(const char* field, bool fallback) const {
  if (!has(field)) return fallback;
  const nlohmann::json& value = object_.at(field);
  if (!value.is_boolean()) fail("field " + quoted(field) + " must be true or false, got " + value.dump());
  return value.get<bool>();
}

std::string HfConfigReader::text_or(const char* field, const std::string& fallback) const {
  if (!has(field)) return fallback;
  const nlohmann::json& value = object_.at(field);
  if (!value.is_string()) fail("field " + quoted(field) + " must be a string, got " + value.dump());
  return value.get<std::string>();
}

HfConfigReader HfConfigReader::object(const char* field) const {
  require(field);
  const nlohmann::json& value = object_.at(field);
  if (!value.is_object()) fail("field " + quoted(field) + " must be an object, got " + value.dump());
  return HfConfigReader(file_, value, prefix_ + field + ".");
}

int64_t HfConfigReader::positive_integer_value(const char* field) const {
  const nlohmann::json& value = object_.at(field);
  if (!value.is_number_integer()) fail("field " + quoted(field) + " must be an integer, got " + value.dump());
  if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(INT64_MAX))
    fail("field " + quoted(field) + " = " + value.dump() + " is too large");
  const int64_t integer = value.get<int64_t>();
  if (integer <= 0) fail("field " + quoted(field) + " = " + std::to_string(integer) + " must be positive");
  return integer;
}

double HfConfigReader::number_value(const char* field) const {
  const nlohmann::json& value = object_.at(field);
  if (!value.is_number()) fail("field " + quoted(field) + " must be a number, got " + value.dump());
  return value.get<double>();
}

}  // namespace rooflm
