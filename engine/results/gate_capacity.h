// The gate of results that carry `capacity` (a scenario search, rooflm.result/1.4): the probes of a
// search move whenever the capacity moves, so such a pair is judged by its capacity entries, not run
// by run. Per variant, the candidate's capacity regresses when it is lower than the baseline's by
// more than max(policy capacity.max_regression_pct, the search's tolerance): higher is better, and
// the search only knows a capacity to within its tolerance. A capacity below search.lo counts as 0;
// one that held at search.hi counts as hi (a lower bound). The gate refuses (exit 2) a pair where one
// side has no capacity, a baseline variant is missing from the candidate, or the search settings or
// SLO limits differ; every probe run of either side must be valid.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

struct CapacityRow {
  std::string variant;
  double baseline = 0, candidate = 0;  // req/s (or concurrency); 0: below search.lo
  std::string baseline_status, candidate_status;  // found | at_hi | below_lo
  double change_pct = 0;       // (candidate - baseline) / baseline * 100
  double threshold_pct = 0;    // the largest drop that passes
  bool regressed = false;
  nlohmann::json to_json() const;
};

bool has_capacity(const nlohmann::json& doc);

// Why a pair of capacity results cannot be judged (appended to `problems`).
void capacity_pair_problems(const nlohmann::json& baseline, const nlohmann::json& candidate,
                            std::vector<std::string>& problems);

// One row per baseline variant present in the candidate.
std::vector<CapacityRow> compare_capacity(const nlohmann::json& baseline, const nlohmann::json& candidate,
                                          double max_regression_pct);

}  // namespace rooflm
