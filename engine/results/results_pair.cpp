// results_pair_mismatches(): what makes two results files measure different things (see results_pair.h).
#include "engine/results/results_pair.h"

#include "common/error.h"
#include "engine/model/model_config.h"
#include "engine/results/compare.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

namespace {

// A value for a message: at most ~200 characters of its JSON.
std::string shown(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() > 200 ? text.substr(0, 197) + "..." : text;
}

void check_same(const nlohmann::json& baseline, const nlohmann::json& candidate, const std::vector<const char*>& path,
                const std::string& what, std::vector<std::string>& problems) {
  const auto& a = json_at_or_null(baseline, path);
  const auto& b = json_at_or_null(candidate, path);
  if (a != b) problems.push_back(what + " differs: baseline " + shown(a) + ", candidate " + shown(b));
}

// A results file's scenario.resolved as this rooflm resolves it: keys added since the file was
// written (e.g. workload.n) get their defaults, so an older baseline still compares equal to a new
// run of the same scenario. A scenario this version cannot parse stays as it was written.
nlohmann::json resolved_now(const nlohmann::json& doc) {
  const nlohmann::json& resolved = json_at_or_null(doc, {"scenario", "resolved"});
  if (!resolved.is_object()) return resolved;
  nlohmann::json point = resolved;
  point.erase("sweep");  // a resolved scenario is one point; a hand-written sweep must not expand here
  try {
    return parse_scenario(point.dump(), "").front().resolved;
  } catch (const std::exception&) {  // InputError, or anything else a hand-edited file provokes
    return resolved;
  }
}

// A workload as the gate compares it: a data file named by its content digest, not its path (two
// checkouts of one trace are the same workload). Files of older results, without a digest, keep
// their paths.
nlohmann::json workload_by_content(nlohmann::json node) {
  if (node.is_array())
    for (nlohmann::json& item : node) item = workload_by_content(std::move(item));
  if (!node.is_object()) return node;
  for (const char* key : {"file", "tokenizer"})
    if (node.contains(key) && node.contains(std::string(key) + "_digest")) node.erase(key);
  for (auto& [key, value] : node.items()) value = workload_by_content(std::move(value));
  return node;
}

}  // namespace

const nlohmann::json& json_at_or_null(const nlohmann::json& doc, const std::vector<const char*>& path) {
  static const nlohmann::json null_value;
  const nlohmann::json* node = &doc;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return null_value;
    node = &(*node)[key];
  }
  return *node;
}

std::vector<std::string> results_pair_mismatches(const nlohmann::json& baseline, const nlohmann::json& candidate) {
  std::vector<std::string> problems;
  check_same(baseline, candidate, {"scenario", "name"}, "scenario name", problems);
  const nlohmann::json base_scenario = resolved_now(baseline), cand_scenario = resolved_now(candidate);
  check_same(workload_by_content(json_at_or_null(base_scenario, {"workload"})),
             workload_by_content(json_at_or_null(cand_scenario, {"workload"})), {}, "scenario workload", problems);
  check_same(base_scenario, cand_scenario, {"model"}, "scenario model", problems);
  check_same(baseline, candidate, {"environment", "gpu"}, "GPU", problems);

  const auto cand_runs = runs_by_label(candidate);
  for (const auto& [label, base] : runs_by_label(baseline)) {
    const auto it = cand_runs.find(label);
    if (it == cand_runs.end()) continue;
    const nlohmann::json& cand = *it->second;
    // As this version writes a model (keys added since an older baseline get their implied values).
    if (model_json_now(json_at_or_null(*base, {"model"})) != model_json_now(json_at_or_null(cand, {"model"})))
      problems.push_back("variant \"" + label + "\": model configuration differs");
    if (json_at_or_null(*base, {"variant", "gpu"}) != json_at_or_null(cand, {"variant", "gpu"}))
      problems.push_back("variant \"" + label + "\": GPU spec differs: baseline " +
                         shown(json_at_or_null(*base, {"variant", "gpu"})) + ", candidate " +
                         shown(json_at_or_null(cand, {"variant", "gpu"})));
  }
  return problems;
}

}  // namespace rooflm
