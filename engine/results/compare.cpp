// Pairing of runs by variant label and per-metric comparison of raw samples (see compare.h).
#include "engine/results/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/results/kbench_results.h"
#include "engine/results/mann_whitney.h"

namespace rooflm {

namespace {

double median(std::vector<double> samples) {
  if (samples.empty()) return NAN;
  std::sort(samples.begin(), samples.end());
  const size_t mid = samples.size() / 2;
  return samples.size() % 2 ? samples[mid] : 0.5 * (samples[mid - 1] + samples[mid]);
}

MetricComparison compare_metric(const std::string& variant, const MetricInfo& info, const nlohmann::json& base_run,
                                const nlohmann::json& cand_run, double significance_level) {
  const std::vector<double> base = samples_of(base_run, info.name);
  const std::vector<double> cand = samples_of(cand_run, info.name);
  MetricComparison c;
  c.variant = variant;
  c.metric = info.name;
  c.direction = info.direction;
  c.baseline_count = int64_t(base.size());
  c.candidate_count = int64_t(cand.size());
  c.baseline_median = median(base);
  c.candidate_median = median(cand);
  c.delta_pct = c.baseline_median != 0 ? (c.candidate_median - c.baseline_median) / c.baseline_median * 100 : NAN;
  if (base.empty() || cand.empty()) {
    c.p_value = NAN;
    return c;
  }
  c.p_value = mann_whitney_u(base, cand).p_value;
  c.significant = c.p_value < significance_level;
  return c;
}

}  // namespace

std::string MetricComparison::verdict() const {
  if (!std::isfinite(delta_pct) || delta_pct == 0) return "same";
  const bool lower = delta_pct < 0;
  return lower == (direction == MetricDirection::lower_is_better) ? "better" : "worse";
}

nlohmann::json MetricComparison::to_json() const {
  return {{"variant", variant},
          {"metric", metric},
          {"direction", direction == MetricDirection::lower_is_better ? "lower_is_better" : "higher_is_better"},
          {"baseline", {{"count", baseline_count}, {"median", number_or_null(baseline_median)}}},
          {"candidate", {{"count", candidate_count}, {"median", number_or_null(candidate_median)}}},
          {"delta_pct", number_or_null(delta_pct)},
          {"verdict", verdict()},
          {"p_value", number_or_null(p_value)},
          {"significant", significant},
          {"test", "mann_whitney_u"}};
}

nlohmann::json ResultsComparison::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& m : metrics) rows.push_back(m.to_json());
  nlohmann::json counter_rows = nlohmann::json::array();
  for (const auto& c : counters) counter_rows.push_back(c.to_json());
  return {{"significance_level", significance_level}, {"metrics", rows}, {"counters", counter_rows}, {"unpaired", unpaired}};
}

std::string run_label(const nlohmann::json& run, size_t index) {
  const auto variant = run.find("variant");
  if (variant != run.end() && variant->is_object() && variant->contains("label") && (*variant)["label"].is_string())
    return (*variant)["label"].get<std::string>();
  return "run " + std::to_string(index);
}

std::map<std::string, const nlohmann::json*> runs_by_label(const nlohmann::json& doc) {
  std::map<std::string, const nlohmann::json*> out;
  const auto runs = doc.find("runs");
  if (runs == doc.end() || !runs->is_array()) return out;
  for (size_t i = 0; i < runs->size(); ++i) out[run_label((*runs)[i], i)] = &(*runs)[i];
  return out;
}

ResultsComparison compare_results(const nlohmann::json& baseline, const nlohmann::json& candidate,
                                  double significance_level, const std::vector<std::string>& metrics) {
  ResultsComparison out;
  out.significance_level = significance_level;
  std::vector<MetricInfo> chosen;
  if (metrics.empty())  // a kbench file's metrics, or a run's
    chosen = baseline.value("kind", "") == kKbenchResultsKind ? kernel_metrics() : sampled_metrics();
  for (const auto& name : metrics) chosen.push_back(sampled_metric(name));

  const auto base_runs = runs_by_label(baseline);
  const auto cand_runs = runs_by_label(candidate);
  for (const auto& [label, base_run] : base_runs) {
    const auto cand = cand_runs.find(label);
    if (cand == cand_runs.end()) {
      out.unpaired.push_back("baseline only: " + label);
      continue;
    }
    for (const auto& info : chosen)
      out.metrics.push_back(compare_metric(label, info, *base_run, *cand->second, significance_level));
    for (const auto& name : run_counter_names()) {
      CounterChange c = compare_counter(label, name, *base_run, *cand->second);
      if (c.recorded()) out.counters.push_back(c);
    }
  }
  for (const auto& [label, run] : cand_runs)
    if (!base_runs.count(label)) out.unpaired.push_back("candidate only: " + label);
  return out;
}

}  // namespace rooflm
