// The percentiles a summary reports (scenario measure.percentiles): by default p50, p90, p95, p99;
// any ascending list of distinct values in (0, 100) with at most 3 decimals (min and max are
// always reported beside them). Each is named "p" + its shortest decimal form: "p50", "p99.9".
#pragma once

#include <array>
#include <span>
#include <string>

namespace rooflm {

inline constexpr std::array<double, 4> kDefaultPercentiles{50, 90, 95, 99};
inline constexpr size_t kMaxPercentiles = 32;   // entries of measure.percentiles
inline constexpr int kPercentileDecimals = 3;   // 99.999 at most

// "p50", "p99.9", "p99.999".
std::string percentile_name(double p);

// Why `percentiles` is not a valid list ("" when it is): empty, longer than kMaxPercentiles, a value
// outside (0, 100), with more than kPercentileDecimals decimals, or twice. The caller sorts first.
std::string percentile_list_problem(std::span<const double> sorted_percentiles);

}  // namespace rooflm
