// Validity checks of a gate pair: what makes `rooflm gate` refuse (exit 2) instead of judging.
#include <map>

#include "common/error.h"
#include "engine/model/model_config.h"
#include "engine/results/gate.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

namespace {

const nlohmann::json& at_or_null(const nlohmann::json& doc, const std::vector<const char*>& path) {
  static const nlohmann::json null_value;
  const nlohmann::json* node = &doc;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return null_value;
    node = &(*node)[key];
  }
  return *node;
}

void check_same(const nlohmann::json& baseline, const nlohmann::json& candidate, const std::vector<const char*>& path,
                const std::string& what, std::vector<std::string>& problems) {
  const auto& a = at_or_null(baseline, path);
  const auto& b = at_or_null(candidate, path);
  if (a != b) problems.push_back(what + " differs: baseline " + a.dump() + ", candidate " + b.dump());
}

// The clocks a GPU is set to run at: the "max_*" entries when the environment has them (the
// current "sm_mhz"/"mem_mhz" readings vary with load and idle time), else the whole value.
nlohmann::json configured_clocks(const nlohmann::json& clocks) {
  if (!clocks.is_object()) return clocks;
  nlohmann::json configured = nlohmann::json::object();
  for (const auto& [key, value] : clocks.items())
    if (key.rfind("max_", 0) == 0) configured[key] = value;
  return configured.empty() ? clocks : configured;
}

// A results file's scenario.resolved as this rooflm resolves it: keys added since the file was
// written (e.g. workload.n) get their defaults, so an older baseline still compares equal to a new
// run of the same scenario. A scenario this version cannot parse stays as it was written.
nlohmann::json resolved_now(const nlohmann::json& doc) {
  const nlohmann::json& resolved = at_or_null(doc, {"scenario", "resolved"});
  if (!resolved.is_object()) return resolved;
  try {
    return parse_scenario(resolved.dump(), "").front().resolved;
  } catch (const InputError&) {
    return resolved;
  }
}

int64_t completed_requests(const nlohmann::json& run) {
  const auto& v = at_or_null(run, {"summary", "requests", "completed"});
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

void check_run_valid(const nlohmann::json& run, const std::string& side, const std::string& label,
                     std::vector<std::string>& problems) {
  if (run.value("valid", true)) return;
  std::string reasons;
  for (const auto& r : at_or_null(run, {"roofline", "invalid_reasons"}))
    reasons += (reasons.empty() ? "" : "; ") + (r.is_string() ? r.get<std::string>() : r.dump());
  problems.push_back(side + " run \"" + label + "\" is marked invalid (MBU or MFU above 1)" +
                     (reasons.empty() ? "" : ": " + reasons));
}

}  // namespace

std::vector<std::string> gate_validity_problems(const nlohmann::json& baseline, const nlohmann::json& candidate) {
  std::vector<std::string> problems;
  check_same(baseline, candidate, {"scenario", "name"}, "scenario name", problems);
  const nlohmann::json base_scenario = resolved_now(baseline), cand_scenario = resolved_now(candidate);
  check_same(base_scenario, cand_scenario, {"workload"}, "scenario workload", problems);
  check_same(base_scenario, cand_scenario, {"model"}, "scenario model", problems);
  check_same(baseline, candidate, {"environment", "gpu"}, "GPU", problems);
  const nlohmann::json base_clocks = configured_clocks(at_or_null(baseline, {"environment", "clocks"}));
  const nlohmann::json cand_clocks = configured_clocks(at_or_null(candidate, {"environment", "clocks"}));
  if (base_clocks != cand_clocks)
    problems.push_back("GPU clocks differ: baseline " + base_clocks.dump() + ", candidate " + cand_clocks.dump());

  const auto base_runs = runs_by_label(baseline);
  const auto cand_runs = runs_by_label(candidate);
  if (base_runs.empty()) problems.push_back("baseline has no runs");
  for (const auto& [label, base] : base_runs) {
    check_run_valid(*base, "baseline", label, problems);
    const auto it = cand_runs.find(label);
    if (it == cand_runs.end()) {
      problems.push_back("variant \"" + label + "\" of the baseline is missing from the candidate");
      continue;
    }
    const nlohmann::json& cand = *it->second;
    check_run_valid(cand, "candidate", label, problems);
    // As this version writes a model (keys added since an older baseline get their implied values).
    if (model_json_now(at_or_null(*base, {"model"})) != model_json_now(at_or_null(cand, {"model"})))
      problems.push_back("variant \"" + label + "\": model configuration differs");
    if (at_or_null(*base, {"variant", "gpu"}) != at_or_null(cand, {"variant", "gpu"}))
      problems.push_back("variant \"" + label + "\": GPU spec differs: baseline " +
                         at_or_null(*base, {"variant", "gpu"}).dump() + ", candidate " +
                         at_or_null(cand, {"variant", "gpu"}).dump());
    const int64_t base_done = completed_requests(*base), cand_done = completed_requests(cand);
    if (cand_done < base_done)
      problems.push_back("variant \"" + label + "\": candidate completed fewer requests (" +
                         std::to_string(cand_done) + ") than the baseline (" + std::to_string(base_done) + ")");
  }
  return problems;
}

}  // namespace rooflm
