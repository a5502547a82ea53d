// Sample statistics of one metric: count, mean, population std, min, linear-interpolation
// percentiles (numpy's default "linear" method) and max.
#include <algorithm>
#include <cmath>

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

Stats compute_stats(std::vector<double> samples) {
  Stats stats;
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
  stats.p50 = percentile_sorted(samples, 50);
  stats.p90 = percentile_sorted(samples, 90);
  stats.p95 = percentile_sorted(samples, 95);
  stats.p99 = percentile_sorted(samples, 99);
  stats.max = samples.back();
  return stats;
}

nlohmann::json Stats::to_json() const {
  // With no samples every value is null (NaN is not valid JSON).
  auto value = [&](double v) { return count == 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  return {{"count", count},     {"mean", value(mean)}, {"std", value(std)},
          {"min", value(min)},  {"p50", value(p50)},   {"p90", value(p90)},
          {"p95", value(p95)},  {"p99", value(p99)},   {"max", value(max)}};
}

}  // namespace rooflm
