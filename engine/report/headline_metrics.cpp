// The headline metrics of a results run and one run against another (see headline_metrics.h).
#include "engine/report/headline_metrics.h"

#include <cmath>

#include "engine/results/compare.h"
#include "engine/results/json_number.h"
#include "engine/results/mann_whitney.h"

namespace rooflm {

namespace {

constexpr double kMsPerSecond = 1000.0;
constexpr size_t kMinSamplesToTest = 2;

// The number at `path` (object keys) below `root`, or nullopt.
std::optional<double> number_at(const nlohmann::json& root, std::initializer_list<const char*> path) {
  const nlohmann::json* node = &root;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return std::nullopt;
    node = &(*node)[key];
  }
  if (!node->is_number()) return std::nullopt;
  return node->get<double>();
}

// The cost model's mean step time of one phase at the datasheet peaks (ms): what the same steps
// would take on the roofline.
std::optional<double> roofline_step_ms(const nlohmann::json& run, const char* phase) {
  const auto predicted = number_at(run, {"roofline", "phases", phase, "predicted_s"});
  const auto steps = number_at(run, {"roofline", "phases", phase, "steps"});
  if (!predicted || !steps || *steps <= 0) return std::nullopt;
  return *predicted / *steps * kMsPerSecond;
}

// Output tokens over the predicted time of every step: the throughput of the same steps on the roofline.
std::optional<double> roofline_output_tok_s(const nlohmann::json& run) {
  const auto rate = number_at(run, {"summary", "throughput", "output_tok_s"});
  const auto duration = number_at(run, {"summary", "duration_s"});
  const auto phases = run.contains("roofline") ? run["roofline"].value("phases", nlohmann::json::object()) : nlohmann::json::object();
  double predicted_s = 0;
  for (const auto& [name, p] : phases.items()) predicted_s += p.value("predicted_s", 0.0);
  if (!rate || !duration || !(predicted_s > 0)) return std::nullopt;
  return *rate * *duration / predicted_s;
}

// The highest utilisation against the datasheet that the measured ceiling allows (datasheet /
// calibrated ratio of the run's own utilisation), or 1 (the datasheet peak) without a calibration.
std::optional<double> reachable_utilization(const nlohmann::json& run, const char* kind, const char* phase) {
  const auto datasheet = number_at(run, {"summary", kind, phase, "datasheet"});
  if (!datasheet) return std::nullopt;
  const auto calibrated = number_at(run, {"summary", kind, phase, "calibrated"});
  return calibrated && *calibrated > 0 ? *datasheet / *calibrated : 1.0;
}

bool significant(double p) { return std::isfinite(p) && p < kDefaultSignificanceLevel; }

}  // namespace

const std::vector<HeadlineMetric>& headline_metrics() {
  using J = const nlohmann::json&;
  static const std::vector<HeadlineMetric> metrics = {
      {"ttft_p50_ms", "TTFT p50", "ms", "ttft_ms", MetricDirection::lower_is_better, "roofline prefill step",
       [](J r) { return number_at(r, {"summary", "ttft_ms", "p50"}); }, [](J r) { return roofline_step_ms(r, "prefill"); }},
      {"ttft_p99_ms", "TTFT p99", "ms", "ttft_ms", MetricDirection::lower_is_better, "roofline prefill step",
       [](J r) { return number_at(r, {"summary", "ttft_ms", "p99"}); }, [](J r) { return roofline_step_ms(r, "prefill"); }},
      {"tpot_p50_ms", "TPOT p50", "ms", "tpot_ms", MetricDirection::lower_is_better, "roofline decode step",
       [](J r) { return number_at(r, {"summary", "tpot_ms", "p50"}); }, [](J r) { return roofline_step_ms(r, "decode"); }},
      {"tpot_p99_ms", "TPOT p99", "ms", "tpot_ms", MetricDirection::lower_is_better, "roofline decode step",
       [](J r) { return number_at(r, {"summary", "tpot_ms", "p99"}); }, [](J r) { return roofline_step_ms(r, "decode"); }},
      {"output_tok_s", "output tokens/s", "tok/s", "output_tok_s", MetricDirection::higher_is_better,
       "the same steps on the roofline", [](J r) { return number_at(r, {"summary", "throughput", "output_tok_s"}); },
       roofline_output_tok_s},
      {"goodput_req_s", "goodput", "req/s", "goodput_req_s", MetricDirection::higher_is_better, "requests/s completed",
       [](J r) { return number_at(r, {"summary", "goodput_req_s"}); },
       [](J r) { return number_at(r, {"summary", "throughput", "req_s"}); }},
      {"mbu_decode", "MBU decode", "", "", MetricDirection::higher_is_better, "reachable at the measured ceiling",
       [](J r) { return number_at(r, {"summary", "mbu", "decode", "datasheet"}); },
       [](J r) { return reachable_utilization(r, "mbu", "decode"); }},
      {"mfu_prefill", "MFU prefill", "", "", MetricDirection::higher_is_better, "reachable at the measured ceiling",
       [](J r) { return number_at(r, {"summary", "mfu", "prefill", "datasheet"}); },
       [](J r) { return reachable_utilization(r, "mfu", "prefill"); }},
  };
  return metrics;
}

nlohmann::json metric_value(const HeadlineMetric& m, const nlohmann::json& run) {
  const auto value = m.value(run);
  const auto limit = value ? m.limit(run) : std::nullopt;
  return {{"key", m.key},
          {"title", m.title},
          {"unit", m.unit},
          {"value", value ? nlohmann::json(*value) : nlohmann::json(nullptr)},
          {"limit", limit ? nlohmann::json(*limit) : nlohmann::json(nullptr)},
          {"limit_note", m.limit_note}};
}

nlohmann::json metric_against(const HeadlineMetric& m, const nlohmann::json& run, const nlohmann::json& base) {
  nlohmann::json out = metric_value(m, run);
  const auto value = m.value(run), base_value = m.value(base);
  out["base"] = base_value ? nlohmann::json(*base_value) : nlohmann::json(nullptr);
  double delta = NAN, ratio = NAN;
  if (value && base_value && *base_value != 0) {
    ratio = *value / *base_value;
    delta = (ratio - 1) * 100;
  }
  out["delta_pct"] = number_or_null(delta);
  out["ratio"] = number_or_null(ratio);
  const bool lower = delta < 0;
  out["verdict"] = !std::isfinite(delta) || delta == 0 ? "same"
                   : lower == (m.direction == MetricDirection::lower_is_better) ? "better" : "worse";
  double p = NAN;
  size_t n_base = 0, n_run = 0;
  if (!m.samples.empty()) {
    const std::vector<double> a = samples_of(base, m.samples), b = samples_of(run, m.samples);
    n_base = a.size();
    n_run = b.size();
    // one sample a side (one repetition) cannot be significant: no test rather than p = 1
    if (a.size() >= kMinSamplesToTest && b.size() >= kMinSamplesToTest) p = mann_whitney_u(a, b).p_value;
  }
  out["p_value"] = number_or_null(p);
  out["significant"] = significant(p);
  out["samples"] = {n_base, n_run};
  return out;
}

}  // namespace rooflm
