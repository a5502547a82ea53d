// Tests of `rooflm export`'s formats (engine/results/results_export.h): each output checked against
// the format's schema in tests/fixtures/export/ (json_schema_check), and the values it carries: the
// metric keys and units, intervals where summary.ci has them, the per-request SLO flags.
// Run: build/tests/rooflm_unit_tests --gtest_filter='ResultsExport*'
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/results/export_metrics.h"
#include "engine/results/json_schema_check.h"
#include "engine/results/results_export.h"
#include "engine/results/results_reader.h"
#include "tests/unit/conforming_results.h"

namespace rooflm {
namespace {

nlohmann::json fixture_schema(const std::string& name) {
  std::ifstream in(std::filesystem::path(ROOFLM_SOURCE_DIR) / "tests" / "fixtures" / "export" / name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

nlohmann::json stats(double p50, double p99_9) {
  return {{"count", 3}, {"mean", p50}, {"std", 1.0}, {"min", p50}, {"p50", p50}, {"p99.9", p99_9}, {"max", p99_9}};
}

// Two runs: "fast" with intervals over 3 repetitions, "slow" without (one repetition); SLO TTFT 300 ms.
nlohmann::json two_runs() {
  nlohmann::json fast = {{"variant", {{"label", "fast"}}},
                         {"summary",
                          {{"ttft_ms", stats(250, 499.5)},
                           {"tpot_ms", stats(20, 30)},
                           {"itl_ms", stats(20, 30)},
                           {"e2e_ms", stats(400, 700)},
                           {"throughput", {{"output_tok_s", 100.0}, {"total_tok_s", 300.0}, {"req_s", 2.0}}},
                           {"goodput_req_s", 1.5},
                           {"goodput_tok_s", 75.0},
                           {"ci",
                            {{"ttft_ms.p50", {{"method", "student_t"}, {"level", 0.95}, {"n", 3}, {"mean", 250.0}, {"lo", 240.0}, {"hi", 260.0}}},
                             {"output_tok_s", {{"method", "student_t"}, {"level", 0.95}, {"n", 3}, {"mean", 100.0}, {"lo", 90.0}, {"hi", 110.0}}}}}}},
                         // A: met (TTFT 250), B: TTFT 500 missed, C: failed
                         {"requests",
                          {{{"id", 0}, {"n_prompt", 10}, {"n_output", 3}, {"arrival", 0.0}, {"first_token", 0.25},
                            {"finish", 0.625}, {"token_times", {0.25, 0.375, 0.625}}, {"failed", false}},
                           {{"id", 1}, {"n_prompt", 20}, {"n_output", 1}, {"arrival", 0.5}, {"first_token", 1.0},
                            {"finish", 1.0}, {"token_times", {1.0}}, {"failed", false}},
                           {{"id", 2}, {"n_prompt", 30}, {"n_output", 0}, {"arrival", 0.75}, {"first_token", 0.9},
                            {"finish", nullptr}, {"token_times", nlohmann::json::array()}, {"failed", true}}}}};
  nlohmann::json slow = fast;
  slow["variant"]["label"] = "slow";
  slow["summary"].erase("ci");
  nlohmann::json doc = {{"schema", "rooflm.result/1.5"}, {"runs", {fast, slow}}};
  doc["scenario"] = {{"name", "quick"}, {"resolved", {{"slo", {{"ttft_ms", 300.0}}}}}};
  return test::make_conforming(doc);
}

TEST(ResultsExport, TheInputConformsToTheResultsSchema) {
  EXPECT_NO_THROW(parse_results_text(two_runs().dump(), "two_runs"));
}

TEST(ResultsExport, MetricsCarryKeysUnitsAndIntervals) {
  const std::vector<ExportedMetric> metrics = exported_metrics(two_runs());
  ASSERT_FALSE(metrics.empty());
  EXPECT_EQ(metrics.front().key, "ttft_ms.p50");  // ascending percentiles, TTFT first
  EXPECT_EQ(metrics[1].key, "ttft_ms.p99.9");
  EXPECT_EQ(metrics.front().unit, "ms");
  EXPECT_TRUE(metrics.front().smaller_is_better);
  ASSERT_TRUE(metrics.front().lo.has_value());
  EXPECT_EQ(*metrics.front().lo, 240);
  EXPECT_EQ(metrics.front().ci_n, 3);
  size_t rates = 0;
  for (const auto& m : metrics)
    if (!m.smaller_is_better) ++rates;
  EXPECT_EQ(rates, 8u);  // output_tok_s, req_s, goodput_req_s, goodput_tok_s per run
}

TEST(ResultsExport, BencherIsBmfWithIntervalsAsBounds) {
  const nlohmann::json bmf = nlohmann::json::parse(export_bencher(two_runs()));
  EXPECT_EQ(json_schema_violations(bmf, fixture_schema("bencher.schema.json")), std::vector<std::string>{});
  const nlohmann::json& fast = bmf.at("quick/fast");
  EXPECT_EQ(fast.at("ttft-ms-p50"), (nlohmann::json{{"value", 250.0}, {"lower_value", 240.0}, {"upper_value", 260.0}}));
  EXPECT_EQ(fast.at("ttft-ms-p99-9"), (nlohmann::json{{"value", 499.5}}));
  EXPECT_EQ(fast.at("goodput-tok-s").at("value"), 75.0);
  EXPECT_FALSE(bmf.at("quick/slow").at("ttft-ms-p50").contains("lower_value"));
  // the schema bites: a lone bound, a non-number
  nlohmann::json bad = bmf;
  bad["quick/fast"]["ttft-ms-p50"].erase("upper_value");
  EXPECT_FALSE(json_schema_violations(bad, fixture_schema("bencher.schema.json")).empty());
  bad = bmf;
  bad["quick/fast"]["ttft-ms-p50"]["value"] = "fast";
  EXPECT_FALSE(json_schema_violations(bad, fixture_schema("bencher.schema.json")).empty());
}

TEST(ResultsExport, GithubBenchmarkSplitsSmallerAndBigger) {
  const nlohmann::json schema = fixture_schema("github-benchmark.schema.json");
  const nlohmann::json smaller = nlohmann::json::parse(export_github_benchmark(two_runs(), true));
  const nlohmann::json bigger = nlohmann::json::parse(export_github_benchmark(two_runs(), false));
  EXPECT_EQ(json_schema_violations(smaller, schema), std::vector<std::string>{});
  EXPECT_EQ(json_schema_violations(bigger, schema), std::vector<std::string>{});
  EXPECT_EQ(smaller.size(), 16u);  // 4 latencies x 2 percentiles x 2 runs
  EXPECT_EQ(bigger.size(), 8u);
  EXPECT_EQ(smaller[0].at("name"), "quick/fast/ttft_ms.p50");
  EXPECT_EQ(smaller[0].at("unit"), "ms");
  EXPECT_EQ(smaller[0].at("range"), "± 10");
  EXPECT_EQ(smaller[0].at("extra"), "95% CI [240, 260] over 3 repetitions (Student t)");
  EXPECT_EQ(bigger[0].at("name"), "quick/fast/output_tok_s");
  EXPECT_EQ(bigger[0].at("unit"), "tok/s");
  for (const auto& entry : bigger) EXPECT_EQ(entry["name"].get<std::string>().find("_ms."), std::string::npos);
}

TEST(ResultsExport, JsonlHasOneCheckedLinePerRequest) {
  const nlohmann::json schema = fixture_schema("requests.schema.json");
  std::istringstream lines(export_requests_jsonl(two_runs()));
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(lines, line);) {
    rows.push_back(nlohmann::json::parse(line));
    EXPECT_EQ(json_schema_violations(rows.back(), schema), std::vector<std::string>{}) << line;
  }
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0]["variant"], "fast");
  EXPECT_EQ(rows[0]["ttft_ms"], 250.0);
  EXPECT_EQ(rows[0]["tpot_ms"], 187.5);  // (0.625 - 0.25) / 2
  EXPECT_EQ(rows[0]["e2e_ms"], 625.0);
  EXPECT_EQ(rows[0]["input_tokens"], 10);
  EXPECT_EQ(rows[0]["slo"], (nlohmann::json{{"ttft", true}, {"tpot", nullptr}, {"e2e", nullptr}, {"all", true}}));
  EXPECT_TRUE(rows[1]["tpot_ms"].is_null());  // one output token
  EXPECT_EQ(rows[1]["slo"]["ttft"], false);
  EXPECT_EQ(rows[1]["slo"]["all"], false);
  EXPECT_TRUE(rows[2]["failed"].get<bool>());
  EXPECT_TRUE(rows[2]["ttft_ms"].is_null());
  EXPECT_EQ(rows[2]["slo"]["all"], false);
  EXPECT_EQ(rows[3]["variant"], "slow");
}

TEST(ResultsExport, JsonlRefusesARunWithoutRequests) {
  nlohmann::json doc = two_runs();
  doc["runs"][1]["requests"] = nlohmann::json::array();
  try {
    export_requests_jsonl(doc);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("runs[1] (variant \"slow\") has no per-request records"), std::string::npos)
        << e.what();
  }
}

TEST(ResultsExport, CapacityIsBiggerIsBetter) {
  nlohmann::json doc = two_runs();
  doc["capacity"] = {{{"variant", "fast"}, {"path", "workload.arrival.rate"}, {"value", 12.5}},
                     {{"variant", "slow"}, {"path", "workload.arrival.rate"}, {"value", nullptr}}};
  const nlohmann::json bigger = nlohmann::json::parse(export_github_benchmark(doc, false));
  EXPECT_EQ(bigger.back().at("name"), "quick/fast/capacity");
  EXPECT_EQ(bigger.back().at("value"), 12.5);
  EXPECT_EQ(bigger.back().at("unit"), "req/s");
}

}  // namespace
}  // namespace rooflm
