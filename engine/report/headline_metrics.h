// The key metrics a report answers with first (the headline and the two-file comparison): TTFT and
// TPOT p50/p99, output throughput, goodput, decode MBU and prefill MFU (datasheet), each read from
// a results run's summary beside its roofline limit, and a metric of one run against another's:
// the relative delta, better/worse, and the Mann-Whitney U significance of the raw samples the
// runs carry (per request for TTFT/TPOT, per repetition for throughput and goodput).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/results/metric_samples.h"

namespace rooflm {

struct HeadlineMetric {
  std::string key;      // "ttft_p50_ms"
  std::string title;    // "TTFT p50"
  std::string unit;     // "ms"
  std::string samples;  // metric_samples.h name of its raw samples ("" when runs carry none)
  MetricDirection direction;
  std::string limit_note;  // what the limit is: "roofline prefill step"
  std::optional<double> (*value)(const nlohmann::json& run);
  std::optional<double> (*limit)(const nlohmann::json& run);  // nullopt: no limit recorded
};

const std::vector<HeadlineMetric>& headline_metrics();

// {"key", "title", "unit", "value", "limit", "limit_note"}: value and limit null where not recorded.
nlohmann::json metric_value(const HeadlineMetric& m, const nlohmann::json& run);

// metric_value of `run`, plus against `base`: "base", "delta_pct", "ratio" (run / base), "verdict"
// (better, worse, same), "p_value", "significant" (p < 0.05), "samples" [n base, n run];
// p_value null when either side carries fewer than two samples (one repetition: nothing to test).
nlohmann::json metric_against(const HeadlineMetric& m, const nlohmann::json& run, const nlohmann::json& base);

}  // namespace rooflm
