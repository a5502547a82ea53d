// Unit tests of what a capacity search concludes from runs: the SLO verdict of a probe
// (engine/metrics/slo_verdict.h), the ratios between variants (engine/report/capacity_ratios.h) and
// the gate's capacity rows (engine/results/gate_capacity.h).
// Run: build/tests/rooflm_unit_tests --gtest_filter='CapacityResults*'
#include <gtest/gtest.h>

#include <cmath>

#include "engine/metrics/slo_verdict.h"
#include "engine/report/capacity_ratios.h"
#include "engine/results/gate_capacity.h"

namespace rooflm {
namespace {

Summary summary_with(double ttft_p99, double tpot_p99, int64_t completed, int64_t slo_met) {
  Summary s;
  s.ttft_ms.count = s.tpot_ms.count = s.e2e_ms.count = completed;
  s.ttft_ms.percentiles = {{99, ttft_p99}};
  s.tpot_ms.percentiles = {{99, tpot_p99}};
  s.completed = completed;
  s.slo_met = slo_met;
  return s;
}

SloSpec slo(double ttft, double tpot) {
  SloSpec spec;
  spec.ttft_ms = ttft;
  spec.tpot_ms = tpot;
  return spec;
}

TEST(CapacityResults, VerdictChecksEveryLimitAndTheGoodputFraction) {
  const SloVerdict ok = judge_slo(summary_with(900, 40, 100, 97), slo(1000, 50), SloPercentile::p99, 0.95);
  EXPECT_TRUE(ok.pass);
  EXPECT_EQ(ok.checks.size(), 3u);
  EXPECT_TRUE(ok.failed().empty());

  const SloVerdict slow = judge_slo(summary_with(1200, 40, 100, 90), slo(1000, 50), SloPercentile::p99, 0.95);
  EXPECT_FALSE(slow.pass);
  EXPECT_EQ(slow.failed(), (std::vector<std::string>{"ttft_ms", "goodput_fraction"}));
  const nlohmann::json j = slow.to_json();
  EXPECT_EQ(j["why"][0], "ttft_ms p99 1200 > 1000");
  EXPECT_EQ(j["why"][1], "goodput_fraction 0.9 < 0.95");
}

TEST(CapacityResults, VerdictSkipsTpotWithoutSamplesAndFailsWithoutFinishedRequests) {
  Summary one_token = summary_with(100, 0, 10, 10);
  one_token.tpot_ms.count = 0;
  const SloVerdict v = judge_slo(one_token, slo(1000, 50), SloPercentile::p99, 0.95);
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.checks.size(), 2u);  // ttft, goodput

  Summary none;
  none.failed = 4;
  const SloVerdict failed = judge_slo(none, slo(1000, 50), SloPercentile::p99, 0.95);
  EXPECT_FALSE(failed.pass);
  EXPECT_TRUE(failed.to_json()["checks"][0]["value"].is_null());
}

nlohmann::json entry(const std::string& policy, const std::string& layout, nlohmann::json value,
                     const std::string& status = "found") {
  return {{"variant", "policy=" + policy + " layout=" + layout},
          {"sweep", {{"engine.batching.policy", policy}, {"engine.kv_cache.layout", layout}}},
          {"value", value}, {"status", status}, {"tolerance", 0.02}, {"path", "workload.arrival.rate"},
          {"lo", 0.25}, {"hi", 128.0}, {"slo", "p99"}, {"goodput_fraction", 0.95}, {"limits", {{"ttft_ms", 1000}}}};
}

TEST(CapacityResults, RatiosPairVariantsThatDifferInOneKeyAgainstItsFirstValue) {
  const nlohmann::json capacity = {entry("static", "contiguous", 2.0), entry("static", "paged", 2.0),
                                   entry("continuous", "contiguous", 16.0), entry("continuous", "paged", 34.0)};
  const std::vector<CapacityRatio> ratios = capacity_ratios(capacity);
  ASSERT_EQ(ratios.size(), 4u);
  EXPECT_EQ(ratios[0].text(), "paged / contiguous (policy=static): 1.00x at the same SLO");
  EXPECT_EQ(ratios[1].text(), "continuous / static (layout=contiguous): 8.00x at the same SLO");
  EXPECT_EQ(ratios[2].text(), "continuous / static (layout=paged): 17.00x at the same SLO");
  EXPECT_EQ(ratios[3].text(), "paged / contiguous (policy=continuous): 2.12x at the same SLO");
}

TEST(CapacityResults, RatiosSayWhenASideHasNoCapacityOrHeldAtHi) {
  const nlohmann::json capacity = {entry("static", "contiguous", nullptr, "below_lo"),
                                   entry("continuous", "contiguous", 128.0, "at_hi")};
  const std::vector<CapacityRatio> ratios = capacity_ratios(capacity);
  ASSERT_EQ(ratios.size(), 1u);
  EXPECT_TRUE(std::isnan(ratios[0].ratio));
  EXPECT_NE(ratios[0].text().find("no ratio"), std::string::npos) << ratios[0].text();

  const nlohmann::json held = {entry("static", "contiguous", 4.0), entry("continuous", "contiguous", 128.0, "at_hi")};
  EXPECT_EQ(capacity_ratios(held)[0].text(),
            "continuous / static (layout=contiguous): >= 32.00x at the same SLO (the numerator held at search.hi)");
}

TEST(CapacityResults, GateRowsAreHigherIsBetterWithTheToleranceAsAFloor) {
  const nlohmann::json base = {{"capacity", {entry("static", "paged", 10.0), entry("continuous", "paged", 40.0)}}};
  const nlohmann::json cand = {{"capacity", {entry("static", "paged", 9.6), entry("continuous", "paged", 30.0)}}};
  std::vector<std::string> problems;
  capacity_pair_problems(base, cand, problems);
  EXPECT_TRUE(problems.empty());
  const std::vector<CapacityRow> rows = compare_capacity(base, cand, 3);
  ASSERT_EQ(rows.size(), 2u);
  // sorted by variant: continuous first
  EXPECT_EQ(rows[0].variant, "policy=continuous layout=paged");
  EXPECT_TRUE(rows[0].regressed);  // -25%
  EXPECT_NEAR(rows[1].change_pct, -4, 1e-9);
  EXPECT_TRUE(rows[1].regressed);  // beyond 3%
  EXPECT_EQ(rows[1].threshold_pct, 3);
  EXPECT_FALSE(compare_capacity(base, cand, 5)[1].regressed);
  // the search's tolerance (2%) is the floor of the threshold: a 1.5% drop is within it
  nlohmann::json near = cand;
  near["capacity"][0]["value"] = 9.85;
  const std::vector<CapacityRow> floor = compare_capacity(base, near, 1);
  EXPECT_EQ(floor[1].threshold_pct, 2);
  EXPECT_FALSE(floor[1].regressed);
  EXPECT_FALSE(compare_capacity(cand, base, 0)[0].regressed) << "a higher capacity is never a regression";
}

TEST(CapacityResults, GateRefusesPairsOfDifferentSearches) {
  const nlohmann::json base = {{"capacity", {entry("static", "paged", 10.0)}}};
  nlohmann::json other = base;
  other["capacity"][0]["limits"]["ttft_ms"] = 500;
  std::vector<std::string> problems;
  capacity_pair_problems(base, other, problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("search limits differs"), std::string::npos) << problems[0];
  problems.clear();
  capacity_pair_problems(base, nlohmann::json::object(), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("the baseline ran a capacity search"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace rooflm
