// Tests of engine/metrics/confidence_interval.h: the Student t quantile against published table
// values, the interval over repetitions, and no interval (with its reason) below two repetitions.
// Run: build/tests/rooflm_unit_tests --gtest_filter='ConfidenceInterval*'
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "engine/metrics/confidence_interval.h"

namespace rooflm {
namespace {

TEST(ConfidenceInterval, StudentTQuantilesMatchTheTable) {
  // t_{0.975, df} (two-sided 95%), e.g. NIST/SEMATECH e-Handbook table 1.4.2.7.4.
  const std::pair<int64_t, double> table[] = {{1, 12.706}, {2, 4.303}, {3, 3.182}, {4, 2.776}, {5, 2.571},
                                              {9, 2.262},  {10, 2.228}, {29, 2.045}, {30, 2.042}, {100, 1.984}};
  for (const auto& [df, t] : table) EXPECT_NEAR(student_t_two_sided(0.95, df), t, 1e-3) << "df " << df;
  EXPECT_NEAR(student_t_two_sided(0.99, 4), 4.604, 1e-3);
  EXPECT_NEAR(student_t_two_sided(0.95, 999), 1.962, 1e-3);  // towards the normal's 1.960
}

TEST(ConfidenceInterval, TIntervalOverValues) {
  // mean 11, sample std sqrt(2.5): half width 2.776 * sqrt(2.5 / 5)
  const std::vector<double> values = {9, 10, 11, 12, 13};
  const ConfidenceInterval ci = t_interval(values);
  EXPECT_EQ(ci.n, 5);
  EXPECT_DOUBLE_EQ(ci.mean, 11);
  const double half = student_t_two_sided(0.95, 4) * std::sqrt(2.5 / 5);
  ASSERT_TRUE(ci.lo && ci.hi);
  EXPECT_NEAR(*ci.lo, 11 - half, 1e-12);
  EXPECT_NEAR(*ci.hi, 11 + half, 1e-12);
  const nlohmann::json json = ci.to_json();
  EXPECT_EQ(json["method"], "student_t");
  EXPECT_EQ(json["level"], 0.95);
  EXPECT_FALSE(json.contains("why"));
}

TEST(ConfidenceInterval, OneRepetitionHasNoIntervalAndSaysWhy) {
  const std::vector<double> one = {42};
  const nlohmann::json json = t_interval(one).to_json();
  EXPECT_EQ(json["n"], 1);
  EXPECT_EQ(json["mean"], 42.0);
  EXPECT_TRUE(json["lo"].is_null());
  EXPECT_TRUE(json["hi"].is_null());
  EXPECT_NE(json["why"].get<std::string>().find("at least 2"), std::string::npos);
  EXPECT_TRUE(t_interval(std::vector<double>{}).to_json()["mean"].is_null());
}

Summary repetition(double ttft_p50, double out_tok_s, int64_t ttft_count = 10) {
  Summary s;
  s.ttft_ms.count = ttft_count;
  s.ttft_ms.percentiles = {{50, ttft_p50}};
  s.tpot_ms.percentiles = {{50, 0}};  // no samples (count 0): no value
  s.e2e_ms.count = 10;
  s.e2e_ms.percentiles = {{50, 2 * ttft_p50}};
  s.duration_s = 1;
  s.throughput.output_tok_s = out_tok_s;
  s.goodput_tok_s = out_tok_s / 2;
  return s;
}

TEST(ConfidenceInterval, RepetitionIntervalsAreKeyedByMetric) {
  const std::vector<Summary> reps = {repetition(100, 1000), repetition(110, 1100), repetition(120, 900)};
  const std::vector<double> percentiles = {50};
  const nlohmann::json ci = repetition_intervals(reps, percentiles);
  for (const char* key : {"ttft_ms.p50", "tpot_ms.p50", "e2e_ms.p50", "output_tok_s", "req_s", "goodput_req_s",
                          "goodput_tok_s"})
    EXPECT_TRUE(ci.contains(key)) << key;
  EXPECT_EQ(ci["ttft_ms.p50"]["n"], 3);
  EXPECT_DOUBLE_EQ(ci["ttft_ms.p50"]["mean"].get<double>(), 110);
  EXPECT_LT(ci["ttft_ms.p50"]["lo"].get<double>(), 110);
  EXPECT_GT(ci["ttft_ms.p50"]["hi"].get<double>(), 110);
  EXPECT_DOUBLE_EQ(ci["e2e_ms.p50"]["mean"].get<double>(), 220);
  EXPECT_DOUBLE_EQ(ci["goodput_tok_s"]["mean"].get<double>(), 500);
  EXPECT_EQ(ci["tpot_ms.p50"]["n"], 0);  // no repetition had TPOT samples
  EXPECT_TRUE(ci["tpot_ms.p50"]["lo"].is_null());
}

}  // namespace
}  // namespace rooflm
