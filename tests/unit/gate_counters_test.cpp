// Counters in the gate: count_run() sums steps and tokens, a policy lists which counters to hold
// exactly (or within max_change_pct), and the gate fails on a changed counter in either direction
// and refuses a baseline that does not record one.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "engine/metrics/run_counts.h"
#include "engine/results/gate.h"
#include "engine/results/run_counters.h"
#include "tests/unit/compare_synthetic_results.h"

namespace rooflm {
namespace {

nlohmann::json with_counts(int64_t steps, int64_t output_tokens, bool record_counts = true) {
  nlohmann::json run = test::synthetic_run(test::SyntheticRunSpec{});
  if (record_counts)
    run["summary"]["counts"] = {{"steps", steps},         {"prefill_tokens", 100}, {"decode_tokens", output_tokens - 40},
                                {"prompt_tokens", 100},   {"output_tokens", output_tokens},
                                {"preemptions", 0},       {"prefix_hit_tokens", 0}};
  run["summary"]["peak_concurrent_seqs"] = 8;
  return test::synthetic_results_with_runs({run});
}

GatePolicy counters_only(const nlohmann::json& counters) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& m : sampled_metrics()) metrics[m.name] = nullptr;
  return parse_gate_policy({{"metrics", metrics}, {"counters", counters}}, "counters.json");
}

std::string policy_error(const nlohmann::json& counters) {
  try {
    counters_only(counters);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(RunCounts, SumsStepsAndCompletedRequests) {
  std::vector<StepRecord> steps(3);
  steps[0].n_prefill_tokens = 30;
  steps[0].prefix_hit_tokens = 16;
  steps[1].n_decode_tokens = 2;
  steps[2].n_decode_tokens = 1;
  steps[2].n_prefill_tokens = 5;
  std::vector<RequestTimeline> requests(3);
  requests[0].n_prompt = 20, requests[0].n_output = 3, requests[0].finish = 1;
  requests[1].n_prompt = 10, requests[1].n_output = 2, requests[1].finish = 1, requests[1].preemptions = 1;
  requests[2].n_prompt = 7, requests[2].failed = true, requests[2].preemptions = 2;
  const RunCounts c = count_run(requests, steps);
  EXPECT_EQ(c.steps, 3);
  EXPECT_EQ(c.prefill_tokens, 35);
  EXPECT_EQ(c.decode_tokens, 3);
  EXPECT_EQ(c.prefix_hit_tokens, 16);
  EXPECT_EQ(c.prompt_tokens, 30);  // the failed request's prompt is not counted
  EXPECT_EQ(c.output_tokens, 5);
  EXPECT_EQ(c.preemptions, 3);     // a failed request's preemptions are
  EXPECT_EQ(c.to_json().at("steps"), 3);
}

TEST(RunCounters, ReadFromTheSummary) {
  const nlohmann::json run = with_counts(120, 640).at("runs")[0];
  EXPECT_EQ(counter_of(run, "steps"), 120);
  EXPECT_EQ(counter_of(run, "output_tokens"), 640);
  EXPECT_EQ(counter_of(run, "completed_requests"), 40);
  EXPECT_EQ(counter_of(run, "peak_concurrent_seqs"), 8);
  EXPECT_FALSE(counter_of(with_counts(1, 1, false).at("runs")[0], "steps").has_value());
  EXPECT_THROW(counter_of(run, "stepz"), InputError);
}

TEST(GateCounters, DefaultPolicyGatesNoCounters) {
  EXPECT_TRUE(default_gate_policy().counters.empty());
  const GateReport report = run_gate(with_counts(120, 640), with_counts(999, 640), default_gate_policy());
  EXPECT_TRUE(report.counters.empty());
  EXPECT_EQ(report.exit_code(), 0);
}

TEST(GateCounters, EqualCountersPass) {
  const GateReport report = run_gate(with_counts(120, 640), with_counts(120, 640),
                                     counters_only({{"steps", nlohmann::json::object()}, {"output_tokens", nlohmann::json::object()}}));
  ASSERT_EQ(report.counters.size(), 2u);
  EXPECT_EQ(report.exit_code(), 0) << gate_markdown(report, "a", "b");
  EXPECT_EQ(report.verdict(), "PASS");
}

TEST(GateCounters, AChangeEitherWayFails) {
  const GatePolicy policy = counters_only({{"steps", nlohmann::json::object()}});
  for (int64_t steps : {119, 121}) {
    const GateReport report = run_gate(with_counts(120, 640), with_counts(steps, 640), policy);
    EXPECT_FALSE(report.invalid());
    EXPECT_EQ(report.exit_code(), 1) << steps;
    ASSERT_EQ(report.counters.size(), 1u);
    EXPECT_TRUE(report.counters[0].changed);
    EXPECT_NEAR(std::fabs(report.counters[0].change.change_pct), 100.0 / 120, 1e-9);
    const std::string md = gate_markdown(report, "a", "b");
    EXPECT_NE(md.find("| default | steps | 120 | " + std::to_string(steps)), std::string::npos) << md;
    EXPECT_NE(md.find("**CHANGED**"), std::string::npos);
    EXPECT_EQ(report.to_json().at("counters")[0].at("status"), "changed");
  }
}

TEST(GateCounters, ToleranceAllowsSmallChanges) {
  const GatePolicy policy = counters_only({{"steps", {{"max_change_pct", 1}}}});
  EXPECT_EQ(run_gate(with_counts(200, 640), with_counts(201, 640), policy).exit_code(), 0);  // 0.5%
  EXPECT_EQ(run_gate(with_counts(200, 640), with_counts(204, 640), policy).exit_code(), 1);  // 2%
}

TEST(GateCounters, FromZeroToNonZeroFails) {
  nlohmann::json candidate = with_counts(120, 640);
  candidate["runs"][0]["summary"]["counts"]["preemptions"] = 3;
  const GateReport report = run_gate(with_counts(120, 640), candidate, counters_only({{"preemptions", nlohmann::json::object()}}));
  EXPECT_EQ(report.exit_code(), 1);
  EXPECT_TRUE(std::isinf(report.counters[0].change.change_pct));
  EXPECT_TRUE(report.to_json().at("counters")[0].at("change_pct").is_null());
}

TEST(GateCounters, BaselineWithoutCountersIsRefused) {
  const GateReport report = run_gate(with_counts(0, 0, false), with_counts(120, 640),
                                     counters_only({{"steps", nlohmann::json::object()}}));
  EXPECT_EQ(report.exit_code(), 2);
  ASSERT_FALSE(report.invalid_reasons.empty());
  EXPECT_NE(report.invalid_reasons.back().find("counter steps: not recorded by the baseline"), std::string::npos)
      << report.invalid_reasons.back();
}

TEST(GateCounters, PolicyErrorsNameThePath) {
  EXPECT_NE(policy_error({{"stepz", nlohmann::json::object()}}).find("counters.stepz \"stepz\" is not a known counter"),
            std::string::npos)
      << policy_error({{"stepz", nlohmann::json::object()}});
  EXPECT_NE(policy_error({{"steps", {{"max_change_pct", -1}}}}).find("counters.steps.max_change_pct is -1"),
            std::string::npos);
  EXPECT_NE(policy_error({{"steps", {{"tolerance", 1}}}}).find("counters.steps.tolerance is not a known key"),
            std::string::npos);
  EXPECT_NE(policy_error({{"steps", 0}}).find("counters.steps must be an object"), std::string::npos);
  EXPECT_EQ(counters_only({{"steps", nullptr}}).counters.size(), 0u);
  EXPECT_EQ(counters_only({{"output_tokens", {{"max_change_pct", 2}}}}).to_json().at("counters").at("output_tokens").at("max_change_pct"), 2);
}

}  // namespace
}  // namespace rooflm
