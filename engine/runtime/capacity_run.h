// A capacity search of one variant (scenario `search`, SearchSpec): runs the variant at the values
// bracket_and_bisect (capacity_bracket.h) asks for, judges each run with judge_slo
// (engine/metrics/slo_verdict.h) and keeps every probe as a results run (with run.probe: its value,
// pass / fail and why). The results' `capacity` entry of the variant says the highest passing value,
// the bracket, the probe count, the tolerance and which SLO bounds it. The backend is whatever the
// scenario says; on the sim backend the whole search is deterministic.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct CapacityProgress {
  std::string variant;  // the variant's label (without the searched value)
  size_t probe = 0;     // 0-based
  double value = 0;
  VariantProgress run;
};

struct CapacityResult {
  std::string label;                  // the variant's label
  std::vector<VariantResult> probes;  // in the order they ran; run["probe"], run["scenario"] set
  nlohmann::json capacity;            // the results' capacity entry of this variant
};

CapacityResult run_capacity_search(const Scenario& point, const BackendOptions& options = {},
                                   const std::function<void(const CapacityProgress&)>& on_progress = {});

}  // namespace rooflm
