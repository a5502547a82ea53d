// Validity checks of a gate pair: what makes `rooflm gate` refuse (exit 2) instead of judging.
#include "engine/results/gate.h"
#include "engine/results/results_pair.h"

namespace rooflm {

namespace {

// The clocks a GPU is set to run at: the "max_*" entries when the environment has them (the
// current "sm_mhz"/"mem_mhz" readings vary with load and idle time), else the whole value.
nlohmann::json configured_clocks(const nlohmann::json& clocks) {
  if (!clocks.is_object()) return clocks;
  nlohmann::json configured = nlohmann::json::object();
  for (const auto& [key, value] : clocks.items())
    if (key.rfind("max_", 0) == 0) configured[key] = value;
  return configured.empty() ? clocks : configured;
}

int64_t completed_requests(const nlohmann::json& run) {
  const auto& v = json_at_or_null(run, {"summary", "requests", "completed"});
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

// Why a run is invalid: run.invalid_reasons (1.3: the roofline's and throttled clocks), else the
// roofline's (older files).
std::string invalid_reasons_text(const nlohmann::json& run) {
  const nlohmann::json& all = json_at_or_null(run, {"invalid_reasons"});
  const nlohmann::json& reasons =
      all.is_array() && !all.empty() ? all : json_at_or_null(run, {"roofline", "invalid_reasons"});
  std::string text;
  for (const auto& r : reasons)
    text += (text.empty() ? "" : "; ") + (r.is_string() ? r.get<std::string>() : r.dump());
  return text;
}

void check_run_valid(const nlohmann::json& run, const std::string& side, const std::string& label,
                     std::vector<std::string>& problems) {
  const std::string where = side + " run \"" + label + "\"";
  if (!run.value("valid", true)) {
    const std::string reasons = invalid_reasons_text(run);
    problems.push_back(where + " is marked invalid" + (reasons.empty() ? " (MBU or MFU above 1)" : ": " + reasons));
    return;
  }
  // A throttled run is never compared silently, even where its "valid" says otherwise.
  if (json_at_or_null(run, {"telemetry", "throttled"}) == true) {
    std::string names;
    for (const auto& r : json_at_or_null(run, {"telemetry", "throttle_reasons"}))
      names += (names.empty() ? "" : ", ") + (r.is_string() ? r.get<std::string>() : r.dump());
    problems.push_back(where + ": GPU clocks throttled during the measured repetitions" +
                       (names.empty() ? "" : " (" + names + ")"));
  }
}

}  // namespace

std::vector<std::string> gate_validity_problems(const nlohmann::json& baseline, const nlohmann::json& candidate) {
  std::vector<std::string> problems = results_pair_mismatches(baseline, candidate);
  const nlohmann::json base_clocks = configured_clocks(json_at_or_null(baseline, {"environment", "clocks"}));
  const nlohmann::json cand_clocks = configured_clocks(json_at_or_null(candidate, {"environment", "clocks"}));
  if (base_clocks != cand_clocks)
    problems.push_back("GPU clocks differ: baseline " + base_clocks.dump() + ", candidate " + cand_clocks.dump());

  const auto base_runs = runs_by_label(baseline);
  const auto cand_runs = runs_by_label(candidate);
  if (base_runs.empty()) problems.push_back("baseline has no runs");
  if (has_capacity(baseline) || has_capacity(candidate)) {
    // A search's probes move with its capacity: every one must be valid; pairing is by capacity variant.
    for (const auto& [label, run] : base_runs) check_run_valid(*run, "baseline", label, problems);
    for (const auto& [label, run] : cand_runs) check_run_valid(*run, "candidate", label, problems);
    capacity_pair_problems(baseline, candidate, problems);
    return problems;
  }
  for (const auto& [label, base] : base_runs) {
    check_run_valid(*base, "baseline", label, problems);
    const auto it = cand_runs.find(label);
    if (it == cand_runs.end()) {
      problems.push_back("variant \"" + label + "\" of the baseline is missing from the candidate");
      continue;
    }
    const nlohmann::json& cand = *it->second;
    check_run_valid(cand, "candidate", label, problems);
    const int64_t base_done = completed_requests(*base), cand_done = completed_requests(cand);
    if (cand_done < base_done)
      problems.push_back("variant \"" + label + "\": candidate completed fewer requests (" +
                         std::to_string(cand_done) + ") than the baseline (" + std::to_string(base_done) + ")");
  }
  return problems;
}

}  // namespace rooflm
