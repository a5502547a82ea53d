// Comparison of two results files (`rooflm compare A.json B.json`, and the numbers `rooflm gate`
// judges): runs paired by variant label; per variant and metric, the medians of the raw samples,
// the relative delta, its direction (better / worse / same) and its Mann–Whitney U significance.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/results/json_number.h"
#include "engine/results/metric_samples.h"
#include "engine/results/run_counters.h"

namespace rooflm {

inline constexpr double kDefaultSignificanceLevel = 0.05;

struct MetricComparison {
  std::string variant;  // variant label, e.g. "default" or "max_batch=8"
  std::string metric;   // one of sampled_metrics()
  MetricDirection direction = MetricDirection::lower_is_better;
  int64_t baseline_count = 0, candidate_count = 0;
  double baseline_median = 0, candidate_median = 0;  // NaN without samples
  double delta_pct = 0;       // (candidate - baseline) / baseline * 100 of the medians; NaN if undefined
  double p_value = 1;         // Mann–Whitney U, two-sided; NaN without samples on either side
  bool significant = false;   // p_value < significance level
  // "better", "worse" or "same" (no change of the medians, or no samples).
  std::string verdict() const;
  nlohmann::json to_json() const;
};

// Variant labels present in one file only go to `unpaired` ("baseline only: x"). Counters (steps,
// tokens, preemptions, ...: one value per run, no test) recorded by both sides go to `counters`.
struct ResultsComparison {
  std::vector<MetricComparison> metrics;
  std::vector<CounterChange> counters;
  std::vector<std::string> unpaired;
  nlohmann::json to_json() const;  // {"significance_level", "metrics": [...], "counters": [...], "unpaired": [...]}
  double significance_level = kDefaultSignificanceLevel;
};

// Compares every metric of sampled_metrics() (or only `metrics` when non-empty) of every variant
// present in both documents.
ResultsComparison compare_results(const nlohmann::json& baseline, const nlohmann::json& candidate,
                                  double significance_level = kDefaultSignificanceLevel,
                                  const std::vector<std::string>& metrics = {});

// Label of a results.json run: variant.label, or "run <index>" when it has none.
std::string run_label(const nlohmann::json& run, size_t index);

// The runs of a results document by run_label (empty when it has no "runs" array).
std::map<std::string, const nlohmann::json*> runs_by_label(const nlohmann::json& doc);

}  // namespace rooflm
