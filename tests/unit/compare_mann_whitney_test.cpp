// Mann–Whitney U against hand-computed values (checked with scipy.stats.mannwhitneyu, asymptotic).
#include <gtest/gtest.h>

#include <vector>

#include "engine/results/mann_whitney.h"

namespace rooflm {
namespace {

TEST(CompareMannWhitney, SeparatedSamples) {
  // ranks of a: 1, 2, 3 -> U = 6 - 3*4/2 = 0; mean 4.5, var = 3*3/12 * 7 = 5.25;
  // z = (4.5 - 0.5) / sqrt(5.25) = 1.74574; p = erfc(z / sqrt 2) = 0.080856
  const std::vector<double> a = {1, 2, 3}, b = {4, 5, 6};
  const MannWhitneyResult r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u_statistic, 0);
  EXPECT_NEAR(r.z, 1.745743, 1e-6);
  EXPECT_NEAR(r.p_value, 0.0808556, 1e-6);
  EXPECT_DOUBLE_EQ(mann_whitney_u(b, a).u_statistic, 9);  // U_a + U_b = n_a * n_b
  EXPECT_NEAR(mann_whitney_u(b, a).p_value, 0.0808556, 1e-6);
}

TEST(CompareMannWhitney, TiesUseAverageRanksAndCorrectedVariance) {
  // pooled 1 2 2 2 3 4 -> ranks 1 3 3 3 5 6; R_a = 1+3+3 = 7, U = 7 - 6 = 1;
  // tie group of 3: var = 9/12 * (7 - 24/30) = 4.65; z = (3.5 - 0.5)/sqrt(4.65); p = 0.164160
  const std::vector<double> a = {1, 2, 2}, b = {2, 3, 4};
  const MannWhitneyResult r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u_statistic, 1);
  EXPECT_NEAR(r.p_value, 0.1641597, 1e-6);
}

TEST(CompareMannWhitney, AllEqualValuesAreNotSignificant) {
  const std::vector<double> a = {5, 5, 5, 5}, b = {5, 5};
  const MannWhitneyResult r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u_statistic, 4);  // every pair a tie: 8 * 1/2
  EXPECT_DOUBLE_EQ(r.p_value, 1);
}

TEST(CompareMannWhitney, LargeShiftIsHighlySignificant) {
  std::vector<double> a, b;
  for (int i = 0; i < 50; ++i) {
    a.push_back(100 + i * 0.1);
    b.push_back(110 + i * 0.1);
  }
  EXPECT_LT(mann_whitney_u(a, b).p_value, 1e-10);
}

TEST(CompareMannWhitney, EmptySampleIsAnInternalError) {
  const std::vector<double> a = {1}, empty;
  EXPECT_THROW(mann_whitney_u(a, empty), std::logic_error);
}

}  // namespace
}  // namespace rooflm
