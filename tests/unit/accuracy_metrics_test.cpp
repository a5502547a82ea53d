// Tests of engine/metrics/accuracy.h on hand-made logits whose metrics are computed by hand.
// Run: build/tests/rooflm_unit_tests --gtest_filter='AccuracyMetrics*'
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "engine/metrics/accuracy.h"

namespace rooflm {
namespace {

// Every expected value below is a closed form evaluated in double; the metrics are computed in
// double from float logits, so they agree to rounding of the float inputs (ln 3 in float: 3e-8).
constexpr double kTol = 1e-6;

TEST(AccuracyMetrics, IdenticalLogitsAgreeExactly) {
  AccuracyAccumulator acc;
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  acc.add(logits, logits, 2);
  acc.add(logits, logits, 0);
  const AccuracyMetrics m = acc.result();
  EXPECT_EQ(m.positions, 2);
  EXPECT_EQ(m.logit_nmse, 0.0);
  EXPECT_EQ(m.top1_agreement, 1.0);
  EXPECT_EQ(m.kl_mean, 0.0);
  EXPECT_EQ(m.perplexity, m.perplexity_reference);
  // nll of token 2 and token 0 under softmax(1, 2, 3): lse - 3 and lse - 1, lse = log(e + e^2 + e^3)
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(m.perplexity, std::exp(((lse - 3) + (lse - 1)) / 2), kTol);
}

// Two tokens, two positions:
//   p0: reference (ln 3, 0) -> p = (3/4, 1/4); test (0, 0) -> q = (1/2, 1/2); next token 0
//   p1: reference (0, ln 3) -> p = (1/4, 3/4); test (ln 3, 0) -> q = (3/4, 1/4); next token 1
TEST(AccuracyMetrics, TwoTokenVocabularyByHand) {
  const float ln3 = float(std::log(3.0));
  AccuracyAccumulator acc;
  acc.add(std::vector<float>{ln3, 0.0f}, std::vector<float>{0.0f, 0.0f}, 0);
  acc.add(std::vector<float>{0.0f, ln3}, std::vector<float>{ln3, 0.0f}, 1);
  const AccuracyMetrics m = acc.result();
  // sum (a-b)^2 = l3^2 + 2 l3^2, sum a^2 = 2 l3^2
  EXPECT_NEAR(m.logit_nmse, 1.5, kTol);
  // p0: both argmax 0 (the test's tie goes to the lowest index); p1: 1 vs 0
  EXPECT_EQ(m.top1_agreement, 0.5);
  const double kl0 = 0.75 * std::log(1.5) + 0.25 * std::log(0.5);
  const double kl1 = 0.25 * std::log(1.0 / 3.0) + 0.75 * std::log(3.0);
  EXPECT_NEAR(m.kl_mean, (kl0 + kl1) / 2, kTol);
  // reference: -ln(3/4) at both positions; test: ln 2 then ln 4 -> exp(1.5 ln 2) = 2 sqrt 2
  EXPECT_NEAR(m.perplexity_reference, 4.0 / 3.0, kTol);
  EXPECT_NEAR(m.perplexity, 2.0 * std::sqrt(2.0), kTol);
}

// Log-softmax subtracts the max: logits of 1e4 neither overflow nor lose the uniform distribution.
TEST(AccuracyMetrics, LargeLogitsAreStable) {
  AccuracyAccumulator acc;
  const std::vector<float> big = {1e4f, 1e4f, 1e4f, 1e4f};
  acc.add(big, big, 3);
  const AccuracyMetrics m = acc.result();
  EXPECT_EQ(m.kl_mean, 0.0);
  EXPECT_NEAR(m.perplexity, 4.0, kTol);
  EXPECT_NEAR(m.perplexity_reference, 4.0, kTol);
}

// A confident wrong test distribution: KL(p || q) with q ~ one-hot on the other token is large but finite.
TEST(AccuracyMetrics, ConfidentDisagreementHasLargeFiniteKl) {
  AccuracyAccumulator acc;
  acc.add(std::vector<float>{50.0f, 0.0f}, std::vector<float>{0.0f, 50.0f}, 0);
  const AccuracyMetrics m = acc.result();
  EXPECT_EQ(m.top1_agreement, 0.0);
  // p ~ (1, e^-50): KL ~ 50 (log(1/q0) with q0 ~ e^-50); exact: sum p (lp - lq)
  EXPECT_NEAR(m.kl_mean, 50.0, 1e-9);
  EXPECT_TRUE(std::isfinite(m.perplexity));
}

TEST(AccuracyMetrics, BadInputsThrowNamingThePosition) {
  AccuracyAccumulator acc;
  const std::vector<float> ok = {1.0f, 2.0f};
  acc.add(ok, ok, 0);
  const std::vector<float> nan = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  try {
    acc.add(ok, nan, 0);
    FAIL() << "a NaN test logit was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("position 1: test logit 1 is not finite"), std::string::npos) << e.what();
  }
  EXPECT_THROW(acc.add(ok, std::vector<float>{1.0f}, 0), std::runtime_error);
  EXPECT_THROW(acc.add(ok, ok, 2), std::runtime_error);
  EXPECT_THROW(AccuracyAccumulator().result(), std::runtime_error);
  AccuracyAccumulator zeros;
  zeros.add(std::vector<float>{0.0f, 0.0f}, std::vector<float>{0.0f, 0.0f}, 0);
  EXPECT_THROW(zeros.result(), std::runtime_error);
}

}  // namespace
}  // namespace rooflm
