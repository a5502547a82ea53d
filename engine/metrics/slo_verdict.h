// Whether one run holds the scenario's SLOs as a capacity search judges it: every `slo` limit on
// the chosen percentile of its metric (TTFT, TPOT, E2E; a metric without samples, e.g. TPOT of
// one-token outputs, is not judged), and at least `goodput_fraction` of all requests (failed ones
// included) meeting every SLO. Each check keeps its value and limit so results say why.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics/summary.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct SloCheck {
  std::string metric;     // "ttft_ms", "tpot_ms", "e2e_ms" or "goodput_fraction"
  std::string stat;       // "p99" (goodput_fraction: "")
  double value = 0, limit = 0;
  bool pass = false;
  std::string text() const;  // "ttft_ms p99 1234.5 > 1000"
};

struct SloVerdict {
  bool pass = true;
  std::vector<SloCheck> checks;
  std::vector<std::string> failed() const;  // the metric of every failed check
  nlohmann::json to_json() const;           // {"pass", "checks": [...], "failed": [...], "why": [texts]}
};

SloVerdict judge_slo(const Summary& summary, const SloSpec& slo, SloPercentile percentile, double goodput_fraction);

}  // namespace rooflm
