// Sample statistics of one metric: count, mean, population std, min, linear-interpolation
// percentiles (numpy's default "linear" method) and max.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/error.h"
#include "engine/metrics/summary.h"

namespace rooflm {

double percentile_sorted(std::span<const double> sorted, double p) {
  ROOFLM_CHECK(!sorted.empty(), "percentile of no samples");
  ROOFLM_CHECK(p >= 0 && p <= 100, "percentile " + std::to_string(p) + " outside [0, 100]");
  // numpy "linear": the p-th percentile sits at fractional rank p/100 * (n - 1).
  const double rank = p / 100.0 * double(sorted.size() - 1);
  const size_t below = size_t(std::floor(rank));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = rank - double(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

Stats compute_stats(std::vector<double> samples, std::span<const double> percentiles) {
  Stats stats;
  for (double p : percentiles) stats.percentiles.push_back({p, 0});
  if (samples.empty()) return stats;
  for (double sample : samples) ROOFLM_CHECK(std::isfinite(sample), "non-finite metric sample");
  std::sort(samples.begin(), samples.end());

  const double n = double(samples.size());
  double sum = 0;
  for (double sample : samples) sum += sample;
  const double mean = sum / n;
  double squared_deviations = 0;
  for (double sample : samples) squared_deviations += (sample - mean) * (sample - mean);

  stats.count = int64_t(samples.size());
  stats.mean = mean;
  stats.std = std::sqrt(squared_deviations / n);  // population std (ddof = 0)
  stats.min = samples.front();
  for (PercentileValue& p : stats.percentiles) p.value = percentile_sorted(samples, p.p);
  stats.max = samples.back();
  return stats;
}

double Stats::percentile(double p) const {
  for (const PercentileValue& v : percentiles)
    if (v.p == p) return v.value;
  throw std::logic_error("percentile " + percentile_name(p) + " was not computed (measure.percentiles)");
}

nlohmann::json Stats::to_json() const {
  // With no samples every value is null (NaN is not valid JSON).
  auto value = [&](double v) { return count == 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json out = {{"count", count}, {"mean", value(mean)}, {"std", value(std)}, {"min", value(min)}};
  for (const PercentileValue& p : percentiles) out[percentile_name(p.p)] = value(p.value);
  out["max"] = value(max);
  return out;
}

}  // namespace rooflm
