// A small JSON Schema checker for the keywords results/schema/*.json use (see json_schema_check.h).
// Keywords of one schema object are applied in a fixed order: $ref, type (a value of the wrong type
// gets no further checks), enum, pattern, bounds, required, properties, additionalProperties, items,
// if/then/else; so the first violation reported is the outermost one.
#include "engine/results/json_schema_check.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "common/error.h"

namespace rooflm {

namespace {

class SchemaChecker {
 public:
  SchemaChecker(const nlohmann::json& root, size_t max_violations) : root_(root), max_(max_violations) {}

  void check(const nlohmann::json& value, const nlohmann::json& schema, const std::string& path) {
    if (full()) return;
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) report(path, "is not allowed here");
      return;
    }
    if (!schema.is_object()) throw InputError("JSON schema at " + shown(path) + " is not an object or a boolean");
    for (const auto& [keyword, argument] : schema.items())
      if (!kKeywords.count(keyword))
        throw InputError("JSON schema keyword \"" + keyword + "\" at " + shown(path) + " is not supported by rooflm's checker");

    if (const auto ref = schema.find("$ref"); ref != schema.end()) check(value, resolve(ref->get<std::string>()), path);
    if (const auto type = schema.find("type"); type != schema.end() && !matches_type(value, *type)) {
      report(path, "expected " + type_text(*type) + ", is " + excerpt(value));
      return;
    }
    if (const auto e = schema.find("enum"); e != schema.end() && std::find(e->begin(), e->end(), value) == e->end())
      report(path, "is " + excerpt(value) + ", expected one of " + e->dump());
    if (const auto p = schema.find("pattern"); p != schema.end() && value.is_string()) check_pattern(value, *p, path);
    if (const auto m = schema.find("minimum"); m != schema.end() && value.is_number() && value.get<double>() < m->get<double>())
      report(path, "is " + value.dump() + ", below the minimum " + m->dump());
    if (const auto m = schema.find("maximum"); m != schema.end() && value.is_number() && value.get<double>() > m->get<double>())
      report(path, "is " + value.dump() + ", above the maximum " + m->dump());
    if (const auto m = schema.find("minItems"); m != schema.end() && value.is_array() && value.size() < m->get<size_t>())
      report(path, "has " + std::to_string(value.size()) + " items, needs at least " + m->dump());
    if (value.is_object()) check_object(value, schema, path);
    if (const auto items = schema.find("items"); items != schema.end() && value.is_array())
      for (size_t i = 0; i < value.size() && !full(); ++i) check(value[i], *items, path + "[" + std::to_string(i) + "]");
    if (const auto condition = schema.find("if"); condition != schema.end()) {
      SchemaChecker probe(root_, 1);
      probe.check(value, *condition, path);
      const char* branch = probe.violations.empty() ? "then" : "else";
      if (const auto b = schema.find(branch); b != schema.end()) check(value, *b, path);
    }
  }

  std::vector<std::string> violations;

 private:
  inline static const std::set<std::string> kKeywords = {
      "$schema", "$id", "$defs", "title", "description", "$ref", "type", "enum", "pattern", "minimum", "maximum",
      "minItems", "required", "properties", "patternProperties", "additionalProperties", "items", "if", "then", "else"};

  bool full() const { return violations.size() >= max_; }

  void check_object(const nlohmann::json& value, const nlohmann::json& schema, const std::string& path) {
    if (const auto required = schema.find("required"); required != schema.end())
      for (const auto& key : *required)
        if (!value.contains(key.get<std::string>())) report(path, "missing required key " + key.dump());
    static const nlohmann::json no_properties = nlohmann::json::object();
    const auto found = schema.find("properties");
    const nlohmann::json& properties = found != schema.end() ? *found : no_properties;
    for (const auto& [key, sub_schema] : properties.items())
      if (const auto v = value.find(key); v != value.end()) check(*v, sub_schema, member(path, key));
    const auto found_patterns = schema.find("patternProperties");
    const nlohmann::json& patterns = found_patterns != schema.end() ? *found_patterns : no_properties;
    const auto additional = schema.find("additionalProperties");
    for (const auto& [key, v] : value.items()) {
      bool matched = properties.contains(key);
      for (const auto& [pattern, sub_schema] : patterns.items())
        if (key.size() <= kMaxPatternSubjectLength && std::regex_search(key, regex(pattern))) {
          matched = true;
          if (!full()) check(v, sub_schema, member(path, key));
        }
      if (!matched && additional != schema.end() && !full()) check(v, *additional, member(path, key));
    }
  }

  const std::regex& regex(const std::string& source) {
    auto compiled = regexes_.find(source);
    if (compiled == regexes_.end()) compiled = regexes_.emplace(source, std::regex(source)).first;
    return compiled->second;
  }

  void check_pattern(const nlohmann::json& value, const nlohmann::json& pattern, const std::string& path) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.size() > kMaxPatternSubjectLength) {
      report(path, "is a string of " + std::to_string(text.size()) + " characters, longer than the " +
                       std::to_string(kMaxPatternSubjectLength) + " it may have");
      return;
    }
    const std::string& source = pattern.get_ref<const std::string&>();
    if (!std::regex_search(text, regex(source))) report(path, "is " + excerpt(value) + ", does not match " + source);
  }

  // "runs[0].summary" + "ttft_ms"; a key that is not a plain identifier is quoted: a["b.c"].
  static std::string member(const std::string& path, const std::string& key) {
    const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '_' || c == '-';
    });
    if (!plain) return path + "[" + nlohmann::json(key).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "]";
    return path.empty() ? key : path + "." + key;
  }

  static std::string shown(const std::string& path) { return path.empty() ? "(top level)" : path; }

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

  // A short description of a value: containers by their size (never dumped whole), scalars as JSON.
  static std::string excerpt(const nlohmann::json& value) {
    if (value.is_object()) return "an object of " + std::to_string(value.size()) + " keys";
    if (value.is_array()) return "an array of " + std::to_string(value.size()) + " items";
    const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
  }

  void report(const std::string& path, const std::string& what) {
    if (!full()) violations.push_back(shown(path) + ": " + what);
  }

  const nlohmann::json& root_;
  size_t max_;
  std::map<std::string, std::regex> regexes_;
};

}  // namespace

std::vector<std::string> json_schema_violations(const nlohmann::json& doc, const nlohmann::json& schema,
                                                size_t max_violations) {
  SchemaChecker checker(schema, max_violations);
  checker.check(doc, schema, "");
  return checker.violations;
}

}  // namespace rooflm
