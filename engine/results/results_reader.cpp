// The results reader (see results_reader.h): parse with limits, check the version, validate
// against the compiled-in schema, report the first problem with its JSON path.
#include "engine/results/results_reader.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/error.h"
#include "common/json_text.h"
#include "engine/results/json_schema_check.h"
#include "engine/results/kbench_results.h"
#include "engine/results/results.h"

namespace rooflm {

extern const char* const kResultSchemaText;  // generated from results/schema/result.schema.json

namespace {

constexpr const char* kResultSchemaPrefix = "rooflm.result/";
constexpr const char* kSupportedMajor = "1";

std::string where(const std::string& origin) { return "results file '" + origin + "': "; }

// parse_json_text (the limits of every JSON input: nesting, numbers beyond a double, duplicate
// keys), its "origin:line:column: problem" written as "results file 'x': line L, column C:
// problem"; a syntax error says the file may be truncated.
nlohmann::json parse_limited(std::string_view text, const std::string& origin) {
  try {
    return parse_json_text(text, origin);
  } catch (const JsonTextError& error) {
    std::string rest = std::string(error.what()).substr(origin.size());  // ":9:5: problem" or ": problem"
    const size_t line_end = rest.find(':', 1), column_end = rest.find(": ", line_end + 1);
    if (rest.starts_with(":") && line_end != std::string::npos && column_end != std::string::npos &&
        std::isdigit(static_cast<unsigned char>(rest[1])))
      rest = "line " + rest.substr(1, line_end - 1) + ", column " + rest.substr(line_end + 1, column_end - line_end - 1) +
             ": " + rest.substr(column_end + 2);
    else if (rest.starts_with(": "))
      rest = rest.substr(2);
    const bool syntax = error.kind() == JsonTextError::Kind::syntax;
    throw InputError(where(origin) + (syntax ? "not valid JSON (truncated or corrupt?): " : "") + rest);
  }
}

// "rooflm.result/1" and "rooflm.result/1.<minor>" are readable; another major is not.
void check_version(const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) throw InputError(where(origin) + "(top level): expected object, is " + doc.type_name());
  const auto schema = doc.find("schema");
  if (schema == doc.end() || !schema->is_string())
    throw InputError(where(origin) + "schema: missing or not a string (expected \"" + kResultSchema + "\")");
  const std::string& name = schema->get_ref<const std::string&>();
  const std::string prefix = kResultSchemaPrefix;
  if (name.rfind(prefix, 0) != 0)
    throw InputError(where(origin) + "schema: is \"" + name.substr(0, 80) + "\", not a " + prefix + "<version>");
  const std::string version = name.substr(prefix.size());
  const std::string major = version.substr(0, version.find('.'));
  if (major != kSupportedMajor)
    throw InputError(where(origin) + "schema: is \"" + name.substr(0, 80) + "\": major version \"" + major.substr(0, 20) +
                     "\" is not supported (this rooflm reads major " + kSupportedMajor + ", writing " + kResultSchema + ")");
}

}  // namespace

const nlohmann::json& result_schema() {
  static const nlohmann::json schema = nlohmann::json::parse(kResultSchemaText);
  return schema;
}

nlohmann::json parse_results_text(std::string_view text, const std::string& origin) {
  nlohmann::json doc = parse_limited(text, origin);
  check_version(doc, origin);
  const std::vector<std::string> problems = json_schema_violations(doc, result_schema(), 1);
  if (!problems.empty())
    throw InputError(where(origin) + problems.front() + " (does not conform to results/schema/result.schema.json)");
  return doc;
}

namespace {

// The text of `path`, checked as read_results documents.
std::string results_file_text(const std::filesystem::path& path) {
  const std::string origin = path.string();
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status))
    throw InputError(where(origin) + "cannot open (missing or unreadable)");
  if (!std::filesystem::is_regular_file(status)) throw InputError(where(origin) + "is not a regular file");
  const auto size = std::filesystem::file_size(path, error);
  if (!error && int64_t(size) > kMaxResultsFileBytes)
    throw InputError(where(origin) + "is " + std::to_string(size) + " bytes, larger than the limit of " +
                     std::to_string(kMaxResultsFileBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(where(origin) + "cannot open (missing or unreadable)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(where(origin) + "read error");
  return text.str();
}

}  // namespace

nlohmann::json read_results(const std::filesystem::path& path) {
  return parse_results_text(results_file_text(path), path.string());
}

nlohmann::json read_comparable_results(const std::filesystem::path& path) {
  const std::string text = results_file_text(path);
  try {
    return parse_results_text(text, path.string());
  } catch (const InputError&) {  // not a results file: parsed again only to see whether it is kbench's
    const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (is_benchmark_json(doc)) return benchmark_json_as_results(doc, path.string());
    throw;
  }
}

}  // namespace rooflm
