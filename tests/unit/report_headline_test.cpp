// Unit tests of the report's answer-first views (engine/report): the headline metrics beside their
// roofline limits, each variant against the baseline (delta, verdict, Mann-Whitney significance),
// a capacity search's headline, and the two-file comparison matched by label.
#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/report/headline_metrics.h"
#include "engine/report/report_compare.h"
#include "engine/report/report_data.h"
#include "engine/report/report_headline.h"
#include "tests/unit/compare_synthetic_results.h"

namespace rooflm {
namespace {

// A run whose summary says what its synthetic samples hold, with a roofline of 10 decode steps
// predicted at 15 ms in all and 2 prefill steps at 40 ms.
nlohmann::json run_with_summary(const std::string& label, double slowdown, uint64_t seed) {
  test::SyntheticRunSpec spec;
  spec.label = label;
  spec.slowdown = slowdown;
  spec.seed = seed;
  nlohmann::json run = test::synthetic_run(spec);
  run["summary"] = {{"ttft_ms", {{"p50", 100.0 * slowdown}, {"p99", 103.0 * slowdown}}},
                    {"tpot_ms", {{"p50", 20.0 * slowdown}, {"p99", 21.0 * slowdown}}},
                    {"throughput", {{"output_tok_s", 200.0 / slowdown}, {"req_s", 2.0}}},
                    {"goodput_req_s", 1.5},
                    {"duration_s", 2.0},
                    {"mbu", {{"decode", {{"datasheet", 0.6}, {"calibrated", 0.75}}}}},
                    {"requests", {{"completed", 40}, {"failed", 0}}}};
  run["roofline"]["phases"] = {{"decode", {{"predicted_s", 0.015}, {"steps", 10}}},
                               {"prefill", {{"predicted_s", 0.080}, {"steps", 2}}}};
  return run;
}

const nlohmann::json& metric(const nlohmann::json& row, const std::string& key) {
  for (const auto& m : row["metrics"])
    if (m["key"] == key) return m;
  static const nlohmann::json none;
  return none;
}

TEST(ReportHeadline, MetricsBesideTheirRooflineLimits) {
  const nlohmann::json run = run_with_summary("a", 1.0, 1);
  std::map<std::string, nlohmann::json> by_key;
  for (const auto& m : headline_metrics()) by_key[m.key] = metric_value(m, run);
  EXPECT_DOUBLE_EQ(by_key["tpot_p50_ms"]["value"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(by_key["tpot_p50_ms"]["limit"].get<double>(), 1.5);   // 15 ms over 10 decode steps
  EXPECT_DOUBLE_EQ(by_key["ttft_p99_ms"]["limit"].get<double>(), 40.0);  // 80 ms over 2 prefill steps
  // 400 output tokens over 95 ms of predicted steps
  EXPECT_NEAR(by_key["output_tok_s"]["limit"].get<double>(), 400 / 0.095, 1e-9);
  EXPECT_DOUBLE_EQ(by_key["goodput_req_s"]["limit"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(by_key["mbu_decode"]["limit"].get<double>(), 0.8);    // measured ceiling at 80% of the datasheet's
  EXPECT_TRUE(by_key["mfu_prefill"]["value"].is_null());                 // not recorded: null, never 0
  EXPECT_TRUE(by_key["mfu_prefill"]["limit"].is_null());
}

TEST(ReportHeadline, EveryVariantAgainstTheBaselineWithSignificance) {
  const nlohmann::json doc = test::synthetic_results_with_runs(
      {run_with_summary("fast", 1.0, 1), run_with_summary("slow", 1.2, 2), run_with_summary("same", 1.0, 3)});
  const nlohmann::json h = report_headline(doc, "", "a.json");
  EXPECT_EQ(h["baseline"], "fast");
  EXPECT_TRUE(h["search"].is_null());
  ASSERT_EQ(h["rows"].size(), 3u);
  EXPECT_TRUE(h["rows"][0]["baseline"].get<bool>());
  EXPECT_FALSE(metric(h["rows"][0], "tpot_p50_ms").contains("delta_pct"));  // the baseline has no delta
  const nlohmann::json& slow = metric(h["rows"][1], "tpot_p50_ms");
  EXPECT_NEAR(slow["delta_pct"].get<double>(), 20.0, 1e-9);
  EXPECT_EQ(slow["verdict"], "worse");
  EXPECT_TRUE(slow["significant"].get<bool>());  // 40 requests 20% slower, 3% jitter
  EXPECT_EQ(slow["samples"], (nlohmann::json{40, 40}));
  EXPECT_EQ(metric(h["rows"][1], "output_tok_s")["verdict"], "worse");
  const nlohmann::json& same = metric(h["rows"][2], "ttft_p50_ms");
  EXPECT_FALSE(same["significant"].get<bool>());  // the same distribution, another seed
  EXPECT_TRUE(metric(h["rows"][1], "mbu_decode")["p_value"].is_null());  // no per-sample MBU

  const nlohmann::json named = report_headline(doc, "slow", "a.json");
  EXPECT_EQ(named["baseline"], "slow");
  EXPECT_EQ(metric(named["rows"][0], "tpot_p50_ms")["verdict"], "better");
}

TEST(ReportHeadline, UnknownBaselineNamesTheLabelTheFileAndItsVariants) {
  const nlohmann::json doc = test::synthetic_results_with_runs({run_with_summary("fast", 1.0, 1)});
  try {
    report_data({{"a.json", doc}}, {"nope", false});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "--baseline \"nope\": a.json has no variant of that label (its variants: \"fast\")");
  }
  EXPECT_THROW(report_data({{"a.json", doc}}, {"", true}), InputError);  // --compare needs two files
}

TEST(ReportHeadline, CapacitySearchHeadsEachVariantWithItsCapacity) {
  nlohmann::json at_cap = run_with_summary("policy=continuous rate=8", 1.0, 1);
  at_cap["probe"] = {{"variant", "policy=continuous"}, {"value", 8.0}};
  nlohmann::json static_cap = run_with_summary("policy=static rate=2", 1.0, 2);
  static_cap["probe"] = {{"variant", "policy=static"}, {"value", 2.0}};
  nlohmann::json doc = test::synthetic_results_with_runs({static_cap, at_cap});
  doc["capacity"] = {{{"variant", "policy=static"}, {"sweep", {{"engine.batching.policy", "static"}}}, {"path", "workload.arrival.rate"},
                      {"value", 2.0}, {"status", "found"}, {"bound_by", {"ttft_ms"}}},
                     {{"variant", "policy=continuous"}, {"sweep", {{"engine.batching.policy", "continuous"}}}, {"path", "workload.arrival.rate"},
                      {"value", 8.0}, {"status", "at_hi"}, {"bound_by", {"search.hi"}}}};
  const nlohmann::json data = report_data({{"cap.json", doc}});
  const nlohmann::json& h = data["files"][0]["headline"];
  EXPECT_EQ(h["search"], "workload.arrival.rate");
  ASSERT_EQ(h["rows"].size(), 2u);
  EXPECT_EQ(h["rows"][1]["label"], "policy=continuous");
  EXPECT_EQ(h["rows"][1]["run"], "policy=continuous rate=8");  // its metrics are those of the run at capacity
  EXPECT_DOUBLE_EQ(h["rows"][1]["capacity"]["ratio"].get<double>(), 4.0);
  EXPECT_EQ(h["rows"][1]["capacity"]["status"], "at_hi");
  EXPECT_EQ(h["rows"][1]["capacity"]["unit"], "req/s");
  EXPECT_EQ(data["files"][0]["capacity_ratios"], (nlohmann::json{"continuous / static: >= 4.00x at the same SLO (the numerator held at search.hi)"}));
}

TEST(ReportCompare, VariantsMatchedByLabelSideBySide) {
  const NamedResults a{"a.json", test::synthetic_results_with_runs({run_with_summary("x", 1.0, 1), run_with_summary("only a", 1.0, 2)})};
  const NamedResults b{"b.json", test::synthetic_results_with_runs({run_with_summary("x", 1.25, 3), run_with_summary("only b", 1.0, 4)})};
  const nlohmann::json c = report_comparison(a, b);
  EXPECT_EQ(c["a"], "a.json");
  EXPECT_EQ(c["only_a"], (nlohmann::json{"only a"}));
  EXPECT_EQ(c["only_b"], (nlohmann::json{"only b"}));
  ASSERT_EQ(c["variants"].size(), 1u);
  const nlohmann::json& tpot = metric(c["variants"][0], "tpot_p99_ms");
  EXPECT_DOUBLE_EQ(tpot["base"].get<double>(), 21.0);   // A
  EXPECT_DOUBLE_EQ(tpot["value"].get<double>(), 26.25);  // B
  EXPECT_DOUBLE_EQ(tpot["ratio"].get<double>(), 1.25);
  EXPECT_TRUE(tpot["significant"].get<bool>());
  EXPECT_EQ(report_data({a, b}, {"", true})["comparison"], c);
}

}  // namespace
}  // namespace rooflm
