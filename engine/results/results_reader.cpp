// The results reader (see results_reader.h): parse with limits, check the version, validate
// against the compiled-in schema, report the first problem with its JSON path.
#include "engine/results/results_reader.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "common/error.h"
#include "engine/results/json_schema_check.h"
#include "engine/results/results.h"

namespace rooflm {

extern const char* const kResultSchemaText;  // generated from results/schema/result.schema.json

namespace {

constexpr const char* kResultSchemaPrefix = "rooflm.result/";
constexpr const char* kSupportedMajor = "1";

struct TooDeep {};

std::string where(const std::string& origin) { return "results file '" + origin + "': "; }

// "line 3" of the first occurrence of `token` in `text`, or "" when it does not occur.
std::string line_of(std::string_view text, const std::string& token) {
  const size_t at = token.empty() ? std::string_view::npos : text.find(token);
  if (at == std::string_view::npos) return "";
  size_t line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return " at line " + std::to_string(line);
}

nlohmann::json parse_limited(std::string_view text, const std::string& origin) {
  const nlohmann::json::parser_callback_t limit_depth = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxResultsDepth) throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const TooDeep&) {
    throw InputError(where(origin) + "JSON nested more than " + std::to_string(kMaxResultsDepth) +
                     " levels deep (the limit)");
  } catch (const nlohmann::json::parse_error& error) {
    throw InputError(where(origin) + "not valid JSON (truncated or corrupt?): " + error.what());
  } catch (const nlohmann::json::out_of_range& error) {
    // 406 "number overflow parsing '1e400'": the literal is between the quotes
    const std::string message = error.what();
    const size_t open = message.find('\''), close = message.rfind('\'');
    const std::string literal = open != std::string::npos && close > open ? message.substr(open + 1, close - open - 1) : "";
    throw InputError(where(origin) + "number" + (literal.empty() ? "" : " " + literal) + line_of(text, literal) +
                     " does not fit a double (the largest is about 1.8e308)");
  } catch (const nlohmann::json::exception& error) {
    throw InputError(where(origin) + "cannot be read as JSON: " + error.what());
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

nlohmann::json read_results(const std::filesystem::path& path) {
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
  return parse_results_text(text.str(), origin);
}

}  // namespace rooflm
