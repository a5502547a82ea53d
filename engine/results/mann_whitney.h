// Mann–Whitney U test (two-sided, normal approximation with tie and continuity corrections), the
// significance test of `rooflm compare` and `rooflm gate`: are two sample sets drawn from the same
// distribution? Matches scipy.stats.mannwhitneyu(a, b, method="asymptotic").
#pragma once

#include <cstdint>
#include <span>

namespace rooflm {

struct MannWhitneyResult {
  double u_statistic = 0;  // U of the first sample: pairs (a_i, b_j) with a_i > b_j, ties count 1/2
  double z = 0;            // continuity-corrected |U - mean| / sd (0 when every value is equal)
  double p_value = 1;      // two-sided
};

// Both samples must be non-empty.
MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b);

}  // namespace rooflm
