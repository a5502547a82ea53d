// results.json assembly and reading: the document layout and the schema-version check.
#include <fstream>
#include <string>

#include "common/error.h"
#include "engine/results/results.h"

namespace rooflm {

namespace {

constexpr const char* kResultSchemaPrefix = "rooflm.result/";
constexpr const char* kSupportedMajor = "1";

// "rooflm.result/1" and "rooflm.result/1.<minor>" are readable; another major is not.
void check_schema(const nlohmann::json& doc, const std::string& file) {
  const std::string where = "results file '" + file + "': ";
  if (!doc.is_object()) throw InputError(where + "top level is not a JSON object");
  const auto schema = doc.find("schema");
  if (schema == doc.end() || !schema->is_string())
    throw InputError(where + "field \"schema\" is missing or not a string (expected \"" +
                     kResultSchema + "\")");
  const std::string name = schema->get<std::string>();
  const std::string prefix = kResultSchemaPrefix;
  if (name.rfind(prefix, 0) != 0)
    throw InputError(where + "field \"schema\" is \"" + name + "\", not a " + prefix + "<version>");
  const std::string version = name.substr(prefix.size());
  const std::string major = version.substr(0, version.find('.'));
  if (major != kSupportedMajor)
    throw InputError(where + "field \"schema\" is \"" + name + "\": major version \"" + major +
                     "\" is not supported (this rooflm reads major " + kSupportedMajor + ", writing " +
                     kResultSchema + ")");
}

}  // namespace

nlohmann::json make_results(const nlohmann::json& environment, const nlohmann::json& scenario,
                            const std::vector<nlohmann::json>& runs) {
  return {{"schema", kResultSchema},
          {"environment", environment},
          {"scenario", scenario},
          {"runs", nlohmann::json(runs)}};
}

nlohmann::json read_results(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError("results file '" + path.string() + "': cannot open (missing or unreadable)");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {  // parse_error; out_of_range for 1e400
    throw InputError("results file '" + path.string() + "': not valid JSON: " + error.what());
  }
  check_schema(doc, path.string());
  return doc;
}

}  // namespace rooflm
