// Mann–Whitney U: pooled average ranks, U of the first sample, tie-corrected variance, normal tail.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common/error.h"
#include "engine/results/mann_whitney.h"

namespace rooflm {

MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  ROOFLM_CHECK(!a.empty() && !b.empty(), "Mann-Whitney U needs two non-empty samples");
  const size_t n = a.size() + b.size();
  std::vector<double> pooled(a.begin(), a.end());
  pooled.insert(pooled.end(), b.begin(), b.end());
  std::vector<size_t> order(n);  // indices of `pooled` in ascending value order
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return pooled[i] < pooled[j]; });

  double rank_sum_a = 0;
  double tie_term = 0;  // sum over tie groups of t^3 - t
  for (size_t start = 0; start < n;) {
    size_t end = start;
    while (end + 1 < n && pooled[order[end + 1]] == pooled[order[start]]) ++end;
    const double average_rank = 0.5 * double(start + end) + 1.0;  // ranks are 1-based
    for (size_t k = start; k <= end; ++k)
      if (order[k] < a.size()) rank_sum_a += average_rank;
    const double t = double(end - start + 1);
    tie_term += t * t * t - t;
    start = end + 1;
  }

  const double n_a = double(a.size()), n_b = double(b.size()), n_all = double(n);
  MannWhitneyResult result;
  result.u_statistic = rank_sum_a - n_a * (n_a + 1) / 2;
  const double mean = n_a * n_b / 2;
  const double variance = n_a * n_b / 12 * ((n_all + 1) - tie_term / (n_all * (n_all - 1)));
  if (variance <= 0) return result;  // every value equal: no evidence of a difference
  result.z = std::max(0.0, (std::abs(result.u_statistic - mean) - 0.5) / std::sqrt(variance));
  result.p_value = std::erfc(result.z / std::sqrt(2.0));
  return result;
}

}  // namespace rooflm
