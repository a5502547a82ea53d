// compare_results / samples_of: samples taken from requests, steps and repetitions; medians, delta,
// direction and significance per variant; unpaired variants listed.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "engine/results/compare.h"
#include "tests/unit/compare_synthetic_results.h"

namespace rooflm {
namespace {

const MetricComparison& find(const ResultsComparison& c, const std::string& variant, const std::string& metric) {
  for (const auto& m : c.metrics)
    if (m.variant == variant && m.metric == metric) return m;
  throw std::runtime_error("no row " + variant + "/" + metric);
}

TEST(CompareResults, SamplesFollowTheMetricDefinitions) {
  // One request: arrival 1.0 s, tokens at 1.2, 1.25, 1.35 s -> TTFT 200 ms, TPOT (1.35-1.2)/2 = 75 ms,
  // ITL 50 and 100 ms, E2E 350 ms. A failed request is skipped; one with a single token has no TPOT.
  nlohmann::json run = {
      {"requests",
       {{{"arrival", 1.0}, {"first_token", 1.2}, {"finish", 1.35}, {"n_output", 3}, {"token_times", {1.2, 1.25, 1.35}}, {"failed", false}},
        {{"arrival", 0.0}, {"first_token", 0.5}, {"finish", 0.5}, {"n_output", 1}, {"token_times", {0.5}}, {"failed", false}},
        {{"arrival", 0.0}, {"first_token", nullptr}, {"finish", nullptr}, {"n_output", 0}, {"token_times", nlohmann::json::array()}, {"failed", true}}}},
      {"steps", {{{"seconds", 0.004}}, {{"seconds", 0.006}}}},
      {"repetitions", {{{"throughput", {{"output_tok_s", 900.0}}}, {"goodput_req_s", 2.0}}}}};
  const auto ttft = samples_of(run, "ttft_ms");
  ASSERT_EQ(ttft.size(), 2u);
  EXPECT_NEAR(ttft[0], 200, 1e-9);
  EXPECT_NEAR(ttft[1], 500, 1e-9);
  const auto tpot = samples_of(run, "tpot_ms");
  ASSERT_EQ(tpot.size(), 1u);
  EXPECT_NEAR(tpot[0], 75, 1e-9);
  const auto itl = samples_of(run, "itl_ms");
  ASSERT_EQ(itl.size(), 2u);
  EXPECT_NEAR(itl[0], 50, 1e-9);
  EXPECT_NEAR(itl[1], 100, 1e-9);
  EXPECT_NEAR(samples_of(run, "e2e_ms")[0], 350, 1e-9);
  EXPECT_EQ(samples_of(run, "step_ms"), (std::vector<double>{4, 6}));
  EXPECT_EQ(samples_of(run, "output_tok_s"), (std::vector<double>{900}));
  EXPECT_EQ(samples_of(run, "goodput_req_s"), (std::vector<double>{2}));
  EXPECT_THROW(samples_of(run, "ttft"), InputError);
}

TEST(CompareResults, SlowerCandidateIsWorseAndSignificant) {
  test::SyntheticRunSpec base, cand;
  cand.seed = 2;
  cand.slowdown = 1.10;
  const auto c = compare_results(test::synthetic_results(base), test::synthetic_results(cand));
  EXPECT_TRUE(c.unpaired.empty());
  for (const char* metric : {"ttft_ms", "tpot_ms", "e2e_ms", "step_ms"}) {
    const auto& row = find(c, "default", metric);
    EXPECT_EQ(row.verdict(), "worse") << metric;
    EXPECT_TRUE(row.significant) << metric;
    EXPECT_NEAR(row.delta_pct, 10, 3) << metric;
  }
  const auto& throughput = find(c, "default", "output_tok_s");  // higher is better: 1/1.1 -> worse
  EXPECT_EQ(throughput.verdict(), "worse");
  EXPECT_NEAR(throughput.delta_pct, -9.1, 3);
  EXPECT_EQ(find(c, "default", "goodput_req_s").verdict(), "same");
}

TEST(CompareResults, FasterCandidateIsBetter) {
  test::SyntheticRunSpec base, cand;
  cand.seed = 3;
  cand.slowdown = 0.8;
  const auto c = compare_results(test::synthetic_results(base), test::synthetic_results(cand));
  EXPECT_EQ(find(c, "default", "ttft_ms").verdict(), "better");
  EXPECT_TRUE(find(c, "default", "ttft_ms").significant);
}

TEST(CompareResults, HandComputedMediansAndDelta) {
  // step_ms samples: baseline {10, 20, 30} -> median 20; candidate {22, 23, 24, 25} -> median 23.5;
  // delta = 3.5 / 20 = +17.5%.
  nlohmann::json base_run = {{"variant", {{"label", "v"}}}, {"steps", {{{"seconds", 0.010}}, {{"seconds", 0.020}}, {{"seconds", 0.030}}}}};
  nlohmann::json cand_run = {{"variant", {{"label", "v"}}},
                             {"steps", {{{"seconds", 0.022}}, {{"seconds", 0.023}}, {{"seconds", 0.024}}, {{"seconds", 0.025}}}}};
  const auto c = compare_results(test::synthetic_results_with_runs({base_run}), test::synthetic_results_with_runs({cand_run}), 0.05, {"step_ms"});
  ASSERT_EQ(c.metrics.size(), 1u);
  EXPECT_NEAR(c.metrics[0].baseline_median, 20, 1e-9);
  EXPECT_NEAR(c.metrics[0].candidate_median, 23.5, 1e-9);
  EXPECT_NEAR(c.metrics[0].delta_pct, 17.5, 1e-9);
  EXPECT_EQ(c.metrics[0].baseline_count, 3);
  EXPECT_EQ(c.metrics[0].candidate_count, 4);
  EXPECT_FALSE(c.metrics[0].significant);  // 3 vs 4 samples, overlapping: p well above 0.05
  const auto json = c.to_json();
  EXPECT_EQ(json["metrics"][0]["verdict"], "worse");
  EXPECT_EQ(json["metrics"][0]["test"], "mann_whitney_u");
}

TEST(CompareResults, MissingSamplesGiveNoVerdict) {
  nlohmann::json run = {{"variant", {{"label", "v"}}}};
  const auto c = compare_results(test::synthetic_results_with_runs({run}), test::synthetic_results_with_runs({run}), 0.05, {"ttft_ms"});
  ASSERT_EQ(c.metrics.size(), 1u);
  EXPECT_TRUE(std::isnan(c.metrics[0].p_value));
  EXPECT_FALSE(c.metrics[0].significant);
  EXPECT_EQ(c.metrics[0].verdict(), "same");
  EXPECT_TRUE(c.to_json()["metrics"][0]["p_value"].is_null());
}

TEST(CompareResults, RunsArePairedByVariantLabel) {
  test::SyntheticRunSpec a, b, c;
  a.label = "kernels=naive";
  b.label = "kernels=fused";
  c.label = "kernels=other";
  const auto base = test::synthetic_results_with_runs({test::synthetic_run(a), test::synthetic_run(b)});
  const auto cand = test::synthetic_results_with_runs({test::synthetic_run(c), test::synthetic_run(b)});
  const auto cmp = compare_results(base, cand, 0.05, {"ttft_ms"});
  ASSERT_EQ(cmp.metrics.size(), 1u);
  EXPECT_EQ(cmp.metrics[0].variant, "kernels=fused");
  EXPECT_DOUBLE_EQ(cmp.metrics[0].delta_pct, 0);  // same seed, same samples
  EXPECT_EQ(cmp.unpaired, (std::vector<std::string>{"baseline only: kernels=naive", "candidate only: kernels=other"}));
}

// Counters both files record are listed with their change; a counter one side lacks (a file
// written before rooflm.result/1.1) is left out. The synthetic runs record only completed requests.
TEST(CompareResults, CountersRecordedByBothSidesAreListed) {
  const auto base = test::synthetic_results(test::SyntheticRunSpec{});
  auto cand = test::synthetic_results(test::SyntheticRunSpec{});
  cand["runs"][0]["summary"]["counts"] = {{"steps", 10}};
  cand["runs"][0]["summary"]["requests"]["completed"] = 50;
  const auto cmp = compare_results(base, cand);
  ASSERT_EQ(cmp.counters.size(), 1u);
  EXPECT_EQ(cmp.counters[0].counter, "completed_requests");
  EXPECT_DOUBLE_EQ(cmp.counters[0].baseline, 40);
  EXPECT_DOUBLE_EQ(cmp.counters[0].candidate, 50);
  EXPECT_DOUBLE_EQ(cmp.counters[0].change_pct, 25);
  EXPECT_EQ(cmp.to_json().at("counters")[0].at("change_pct"), 25.0);
}

}  // namespace
}  // namespace rooflm
