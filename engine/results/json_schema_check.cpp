// A small JSON Schema checker for the keywords results/schema/*.json use (see json_schema_check.h).
#include "engine/results/json_schema_check.h"

#include <algorithm>
#include <regex>
#include <set>

#include "common/error.h"

namespace rooflm {

namespace {

class SchemaChecker {
 public:
  SchemaChecker(const nlohmann::json& root, size_t max_violations) : root_(root), max_(max_violations) {}

  void check(const nlohmann::json& value, const nlohmann::json& schema, const std::string& path) {
    if (violations.size() >= max_) return;
    for (const auto& [keyword, argument] : schema.items()) {
      if (kAnnotations.count(keyword)) continue;
      if (keyword == "$ref") {
        check(value, resolve(argument.get<std::string>()), path);
      } else if (keyword == "type") {
        if (!matches_type(value, argument)) report(path, "expected " + type_text(argument) + ", is " + excerpt(value));
      } else if (keyword == "enum") {
        if (std::find(argument.begin(), argument.end(), value) == argument.end())
          report(path, "is " + excerpt(value) + ", expected one of " + argument.dump());
      } else if (keyword == "pattern") {
        if (value.is_string() && !std::regex_search(value.get<std::string>(), std::regex(argument.get<std::string>())))
          report(path, "is " + value.dump() + ", does not match " + argument.get<std::string>());
      } else if (keyword == "minimum") {
        if (value.is_number() && value.get<double>() < argument.get<double>())
          report(path, "is " + value.dump() + ", below the minimum " + argument.dump());
      } else if (keyword == "maximum") {
        if (value.is_number() && value.get<double>() > argument.get<double>())
          report(path, "is " + value.dump() + ", above the maximum " + argument.dump());
      } else if (keyword == "minItems") {
        if (value.is_array() && value.size() < argument.get<size_t>())
          report(path, "has " + std::to_string(value.size()) + " items, needs at least " + argument.dump());
      } else if (keyword == "required") {
        if (!value.is_object()) continue;
        for (const auto& key : argument)
          if (!value.contains(key.get<std::string>())) report(path, "missing required key " + key.dump());
      } else if (keyword == "properties") {
        if (!value.is_object()) continue;
        for (const auto& [key, sub_schema] : argument.items())
          if (value.contains(key)) check(value[key], sub_schema, path + "." + key);
      } else if (keyword == "items") {
        if (!value.is_array()) continue;
        for (size_t i = 0; i < value.size() && violations.size() < max_; ++i)
          check(value[i], argument, path + "[" + std::to_string(i) + "]");
      } else {
        throw InputError("JSON schema keyword \"" + keyword + "\" at " + path + " is not supported by rooflm's checker");
      }
    }
  }

  std::vector<std::string> violations;

 private:
  inline static const std::set<std::string> kAnnotations = {"$schema", "$id", "$defs", "title", "description"};

  const nlohmann::json& resolve(const std::string& ref) const {
    const std::string prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) != 0 || !root_.contains("$defs") || !root_["$defs"].contains(ref.substr(prefix.size())))
      throw InputError("JSON schema $ref \"" + ref + "\" does not name an entry of $defs");
    return root_["$defs"][ref.substr(prefix.size())];
  }

  static bool matches_one_type(const nlohmann::json& value, const std::string& type) {
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "number") return value.is_number();
    if (type == "integer") return value.is_number_integer();
    if (type == "boolean") return value.is_boolean();
    if (type == "null") return value.is_null();
    throw InputError("JSON schema type \"" + type + "\" is not a JSON Schema type");
  }

  static bool matches_type(const nlohmann::json& value, const nlohmann::json& type) {
    if (type.is_string()) return matches_one_type(value, type.get<std::string>());
    for (const auto& t : type)
      if (matches_one_type(value, t.get<std::string>())) return true;
    return false;
  }

  static std::string type_text(const nlohmann::json& type) {
    if (type.is_string()) return type.get<std::string>();
    std::string out;
    for (const auto& t : type) out += (out.empty() ? "" : " or ") + t.get<std::string>();
    return out;
  }

  static std::string excerpt(const nlohmann::json& value) {
    const std::string text = value.dump();
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
  }

  void report(const std::string& path, const std::string& what) {
    if (violations.size() < max_) violations.push_back((path.empty() ? "(top level)" : path) + ": " + what);
  }

  const nlohmann::json& root_;
  size_t max_;
};

}  // namespace

std::vector<std::string> json_schema_violations(const nlohmann::json& doc, const nlohmann::json& schema,
                                                size_t max_violations) {
  SchemaChecker checker(schema, max_violations);
  checker.check(doc, schema, "");
  return checker.violations;
}

}  // namespace rooflm
