// `rooflm compare` of two kbench files: Google Benchmark JSON read as results
// (engine/results/kbench_results.h), compared per benchmark over its repetitions.
// Run: build/tests/rooflm_unit_tests --gtest_filter='KbenchCompare*'
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/source_dir.h"
#include "engine/results/compare.h"
#include "engine/results/kbench_results.h"
#include "engine/results/results_reader.h"

namespace rooflm {
namespace {

// Five repetitions of one benchmark at `us` + i * 0.01 microseconds, plus the mean aggregate.
nlohmann::json kbench_file(double us) {
  nlohmann::json benchmarks = nlohmann::json::array();
  for (int i = 0; i < 5; ++i)
    benchmarks.push_back({{"name", "gemv/n:1/manual_time"}, {"run_name", "gemv/n:1/manual_time"}, {"run_type", "iteration"},
                          {"repetition_index", i}, {"real_time", (us + 0.01 * i) * 1e3}, {"time_unit", "ns"},
                          {"GB/s", 1000.0 / (us + 0.01 * i)}});
  benchmarks.push_back({{"name", "gemv/n:1/manual_time_mean"}, {"run_name", "gemv/n:1/manual_time"},
                        {"run_type", "aggregate"}, {"aggregate_name", "mean"}, {"real_time", 1.0}, {"time_unit", "ns"}});
  return {{"context", {{"gpu", "NVIDIA H200"}, {"date", "2026-12-02"}}}, {"benchmarks", benchmarks}};
}

TEST(KbenchCompare, RepetitionsAreTheSamplesAndAggregatesAreSkipped) {
  ASSERT_TRUE(is_benchmark_json(kbench_file(10)));
  const nlohmann::json doc = benchmark_json_as_results(kbench_file(10), "a.json");
  EXPECT_EQ(doc["kind"], kKbenchResultsKind);
  EXPECT_EQ(doc["environment"]["gpu"], "NVIDIA H200");
  ASSERT_EQ(doc["runs"].size(), 1u);
  EXPECT_EQ(doc["runs"][0]["variant"]["label"], "gemv/n:1/manual_time");
  const nlohmann::json& us = doc["runs"][0]["kernel_samples"]["kernel_us"];
  ASSERT_EQ(us.size(), 5u);  // the mean row is not a sample
  EXPECT_DOUBLE_EQ(us[0].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(us[4].get<double>(), 10.04);
}

TEST(KbenchCompare, ASlowerKernelIsWorseAndSignificant) {
  const nlohmann::json a = benchmark_json_as_results(kbench_file(10), "a.json");
  const nlohmann::json b = benchmark_json_as_results(kbench_file(11), "b.json");
  const ResultsComparison c = compare_results(a, b, kDefaultSignificanceLevel, {});
  ASSERT_EQ(c.metrics.size(), 2u);  // kernel_us and kernel_gb_s only
  EXPECT_EQ(c.metrics[0].metric, "kernel_us");
  EXPECT_EQ(c.metrics[0].verdict(), "worse");
  EXPECT_NEAR(c.metrics[0].delta_pct, (11.02 - 10.02) / 10.02 * 100, 1e-9);  // medians 10.02 -> 11.02
  EXPECT_TRUE(c.metrics[0].significant);  // 5 vs 5, fully separated: p = 0.0079
  EXPECT_EQ(c.metrics[1].metric, "kernel_gb_s");
  EXPECT_EQ(c.metrics[1].verdict(), "worse");
}

TEST(KbenchCompare, CommittedKbenchFileReadsAndEqualsItself) {
  const auto path = source_dir() / "results/h200/quant_mma_2026-12-02/run_8dd9d15/kbench_quant_linear.json";
  const nlohmann::json doc = read_comparable_results(path);
  ASSERT_EQ(doc["kind"], kKbenchResultsKind);
  EXPECT_GT(doc["runs"].size(), 100u);
  const ResultsComparison c = compare_results(doc, doc, kDefaultSignificanceLevel, {});
  for (const MetricComparison& m : c.metrics) EXPECT_EQ(m.verdict(), "same") << m.variant << " " << m.metric;
}

TEST(KbenchCompare, MalformedBenchmarksNameTheEntry) {
  nlohmann::json bad = kbench_file(10);
  bad["benchmarks"][2].erase("real_time");
  try {
    benchmark_json_as_results(bad, "k.json");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("k.json: benchmarks[2] has no run_name, real_time or time_unit"), std::string::npos)
        << e.what();
  }
  bad = kbench_file(10);
  bad["benchmarks"][0]["time_unit"] = "fortnights";
  EXPECT_THROW(benchmark_json_as_results(bad, "k.json"), InputError);
  bad = kbench_file(10);
  bad["benchmarks"][0]["run_type"] = 7;  // not a string: read as a repetition, not a type error
  EXPECT_NO_THROW(benchmark_json_as_results(bad, "k.json"));
  bad["benchmarks"][1] = "x";
  EXPECT_THROW(benchmark_json_as_results(bad, "k.json"), InputError);
}

}  // namespace
}  // namespace rooflm
