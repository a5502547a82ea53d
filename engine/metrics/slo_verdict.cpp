// judge_slo: the pass / fail of one capacity probe (see slo_verdict.h).
#include "engine/metrics/slo_verdict.h"

#include <cmath>
#include <cstdio>

namespace rooflm {

namespace {

// The scenario reader makes sure search.slo is one of measure.percentiles (or max).
double stat_of(const Stats& s, SloPercentile p) {
  const std::optional<double> at = slo_percentile_value(p);
  return at ? s.percentile(*at) : s.max;
}

std::string shown(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", x);
  return text;
}

}  // namespace

std::string SloCheck::text() const {
  const std::string name = stat.empty() ? metric : metric + " " + stat;
  const bool lower_bound = metric == "goodput_fraction";
  const char* op = pass ? (lower_bound ? " >= " : " <= ") : (lower_bound ? " < " : " > ");
  if (!std::isfinite(value)) return name + ": no samples (no request finished)";
  return name + " " + shown(value) + op + shown(limit);
}

std::vector<std::string> SloVerdict::failed() const {
  std::vector<std::string> names;
  for (const auto& c : checks)
    if (!c.pass) names.push_back(c.metric);
  return names;
}

nlohmann::json SloVerdict::to_json() const {
  nlohmann::json rows = nlohmann::json::array(), why = nlohmann::json::array();
  for (const auto& c : checks) {
    rows.push_back({{"metric", c.metric},
                    {"stat", c.stat.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.stat)},
                    {"value", std::isfinite(c.value) ? nlohmann::json(c.value) : nlohmann::json(nullptr)},
                    {"limit", c.limit},
                    {"pass", c.pass}});
    if (!c.pass) why.push_back(c.text());
  }
  return {{"pass", pass}, {"checks", rows}, {"failed", failed()}, {"why", why}};
}

SloVerdict judge_slo(const Summary& summary, const SloSpec& slo, SloPercentile percentile, double goodput_fraction) {
  SloVerdict verdict;
  const std::string stat(name(percentile));
  auto latency = [&](const char* metric, const Stats& s, const std::optional<double>& limit, bool needs_samples) {
    if (!limit) return;
    if (s.count == 0 && !needs_samples) return;  // e.g. TPOT of one-token outputs
    const double value = s.count == 0 ? NAN : stat_of(s, percentile);  // no request finished: a failure
    verdict.checks.push_back({metric, stat, value, *limit, s.count > 0 && value <= *limit});
  };
  latency("ttft_ms", summary.ttft_ms, slo.ttft_ms, true);
  latency("tpot_ms", summary.tpot_ms, slo.tpot_ms, false);
  latency("e2e_ms", summary.e2e_ms, slo.e2e_ms, true);
  const int64_t all = summary.completed + summary.failed;
  const double fraction = all > 0 ? double(summary.slo_met) / double(all) : 0;
  verdict.checks.push_back({"goodput_fraction", "", fraction, goodput_fraction, fraction >= goodput_fraction});
  for (const auto& c : verdict.checks) verdict.pass = verdict.pass && c.pass;
  return verdict;
}

}  // namespace rooflm
