// Gate policy (`rooflm gate --policy gate.json`): per metric, its direction, the largest allowed
// regression in percent, the fewest samples a side must have, and whether it is only observed
// (reported, never failing). File format ("schema": "rooflm.gate_policy/1"):
//   { "schema": "rooflm.gate_policy/1", "significance_level": 0.05,
//     "metrics": { "ttft_ms": {"max_regression_pct": 5, "min_samples": 5},
//                  "goodput_req_s": {"observe_only": true},
//                  "step_ms": {"direction": "lower_is_better", "max_regression_pct": 3} },
//     "counters": { "steps": {}, "output_tokens": {"max_change_pct": 0} },
//     "capacity": {"max_regression_pct": 5} }
// Metrics left out of "metrics" keep their default entry; "metrics": {"x": null} drops x.
// Counters (engine/results/run_counters.h) are gated only when listed; a counter fails the gate when
// it moved either way by more than max_change_pct (default 0: exactly equal). "capacity": the largest
// drop of a capacity search's result that passes (default 5%; never below the search's tolerance).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/results/compare.h"

namespace rooflm {

inline constexpr const char* kGatePolicySchema = "rooflm.gate_policy/1";

struct MetricPolicy {
  std::string metric;
  MetricDirection direction = MetricDirection::lower_is_better;
  double max_regression_pct = 5;
  int64_t min_samples = 5;
  bool observe_only = false;
};

struct CounterPolicy {
  std::string counter;        // one of run_counter_names()
  double max_change_pct = 0;  // in either direction
};

struct GatePolicy {
  double significance_level = kDefaultSignificanceLevel;
  std::vector<MetricPolicy> metrics;  // in sampled_metrics() order
  std::vector<CounterPolicy> counters;  // in run_counter_names() order
  double capacity_max_regression_pct = 5;  // results with `capacity` (gate_capacity.h)
  nlohmann::json to_json() const;     // the file format above, every metric spelled out (null: dropped)
};

// Latencies (ttft, tpot, itl, e2e, step) gated at 5% with at least 5 samples a side; throughput
// and goodput (one sample per repetition) observed only; no counters.
GatePolicy default_gate_policy();

// The default policy overridden by a policy document; `source` names the file in errors, which
// are InputErrors naming the JSON path and the offending value.
GatePolicy parse_gate_policy(const nlohmann::json& doc, const std::string& source);
GatePolicy read_gate_policy(const std::filesystem::path& path);

}  // namespace rooflm
