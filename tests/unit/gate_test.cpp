// rooflm gate decisions: an injected 10% slowdown fails, run-to-run noise passes, and pairs that
// cannot be compared are refused (exit code 2) rather than passed.
#include <gtest/gtest.h>

#include "engine/model/model_config.h"
#include "engine/results/gate.h"
#include "engine/scenario/scenario.h"
#include "tests/unit/compare_synthetic_results.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

nlohmann::json noisy_candidate(double slowdown) {
  test::SyntheticRunSpec spec;
  spec.seed = 7;  // other noise than the baseline's seed 1
  spec.slowdown = slowdown;
  return test::synthetic_results(spec);
}

const nlohmann::json& baseline() {
  static const nlohmann::json doc = test::synthetic_results(test::SyntheticRunSpec{});
  return doc;
}

bool has_reason(const GateReport& report, const std::string& fragment) {
  for (const auto& r : report.invalid_reasons)
    if (r.find(fragment) != std::string::npos) return true;
  return false;
}

TEST(Gate, InjectedTenPercentSlowdownFails) {
  const GateReport report = run_gate(baseline(), noisy_candidate(1.10), default_gate_policy());
  EXPECT_FALSE(report.invalid()) << report.invalid_reasons.front();
  EXPECT_TRUE(report.regressed());
  EXPECT_EQ(report.exit_code(), 1);
  EXPECT_EQ(report.verdict(), "REGRESSION");
  int regressions = 0;
  for (const auto& row : report.rows) regressions += row.status == GateStatus::regression;
  EXPECT_EQ(regressions, 5);  // ttft, tpot, itl, e2e, step; throughput and goodput only observed
  const std::string md = gate_markdown(report, "a.json", "b.json");
  EXPECT_NE(md.find("## rooflm gate: REGRESSION"), std::string::npos);
  EXPECT_NE(md.find("| default | ttft_ms |"), std::string::npos);
  EXPECT_NE(md.find("**REGRESSION**"), std::string::npos);
}

TEST(Gate, RunToRunNoisePasses) {
  const GateReport report = run_gate(baseline(), noisy_candidate(1.0), default_gate_policy());
  EXPECT_FALSE(report.invalid());
  EXPECT_EQ(report.exit_code(), 0);
  EXPECT_EQ(report.verdict(), "PASS");
  EXPECT_EQ(report.rows.size(), sampled_metrics().size());
}

TEST(Gate, SmallSignificantSlowdownBelowThresholdPasses) {
  const GateReport report = run_gate(baseline(), noisy_candidate(1.03), default_gate_policy());
  EXPECT_EQ(report.exit_code(), 0);
  bool any_significant = false;
  for (const auto& row : report.rows) any_significant |= row.comparison.significant;
  EXPECT_TRUE(any_significant);  // a real 3% move, but the policy allows 5%
}

TEST(Gate, LargeButInsignificantChangePasses) {
  // 3 samples a side can never reach p < 0.05 with the U test (smallest p is 0.08).
  GatePolicy policy = default_gate_policy();
  for (auto& m : policy.metrics) {
    m.min_samples = 1;
    m.observe_only = m.metric != "output_tok_s";
  }
  const GateReport report = run_gate(baseline(), noisy_candidate(1.5), policy);
  EXPECT_EQ(report.exit_code(), 0);
}

TEST(Gate, ObserveOnlyMetricsNeverFail) {
  GatePolicy policy = default_gate_policy();
  for (auto& m : policy.metrics) m.observe_only = true;
  const GateReport report = run_gate(baseline(), noisy_candidate(1.5), policy);
  EXPECT_EQ(report.exit_code(), 0);
  for (const auto& row : report.rows) EXPECT_EQ(row.status, GateStatus::observed);
}

TEST(Gate, DifferentScenarioGpuModelOrClocksAreRefused) {
  auto other_scenario = noisy_candidate(1.0);
  other_scenario["scenario"]["name"] = "other";
  EXPECT_TRUE(has_reason(run_gate(baseline(), other_scenario, default_gate_policy()), "scenario name differs"));

  auto other_gpu = noisy_candidate(1.0);
  other_gpu["environment"]["gpu"] = "NVIDIA A100";
  const GateReport gpu_report = run_gate(baseline(), other_gpu, default_gate_policy());
  EXPECT_EQ(gpu_report.exit_code(), 2);
  EXPECT_TRUE(has_reason(gpu_report, "GPU differs"));

  auto other_model = noisy_candidate(1.0);
  other_model["runs"][0]["model"]["name"] = "llama-2-13b";
  EXPECT_TRUE(has_reason(run_gate(baseline(), other_model, default_gate_policy()), "model configuration differs"));

  auto other_clocks = noisy_candidate(1.0);
  other_clocks["environment"]["clocks"]["sm_mhz"] = 1755;
  EXPECT_TRUE(has_reason(run_gate(baseline(), other_clocks, default_gate_policy()), "GPU clocks differ"));

  // with configured ("max_*") clocks, only those count: the current reading varies with load
  auto with_max = baseline();
  with_max["environment"]["clocks"] = {{"max_sm_mhz", 1980}, {"sm_mhz", 1980}};
  auto current_differs = noisy_candidate(1.0);
  current_differs["environment"]["clocks"] = {{"max_sm_mhz", 1980}, {"sm_mhz", 345}};
  EXPECT_EQ(run_gate(with_max, current_differs, default_gate_policy()).exit_code(), 0);
  current_differs["environment"]["clocks"]["max_sm_mhz"] = 1755;
  EXPECT_TRUE(has_reason(run_gate(with_max, current_differs, default_gate_policy()), "GPU clocks differ"));
}

// A baseline written before a scenario key existed (here workload.n) still pairs with a new run of
// the same scenario: both are compared as this rooflm resolves them. A real change still refuses.
TEST(Gate, ScenariosAreComparedAsThisVersionResolvesThem) {
  const nlohmann::json resolved = parse_scenario(
      R"({"schema": "rooflm.scenario/1", "name": "synthetic", "model": {"preset": "tiny"},
          "workload": {"requests": 40, "prompt_len": 8, "output_len": 4}})", "t.json").front().resolved;
  ASSERT_TRUE(resolved.at("workload").contains("n"));
  auto older = baseline();
  older["scenario"]["resolved"] = resolved;
  older["scenario"]["resolved"]["workload"].erase("n");
  auto newer = noisy_candidate(1.0);
  newer["scenario"]["resolved"] = resolved;
  EXPECT_EQ(run_gate(older, newer, default_gate_policy()).exit_code(), 0);
  newer["scenario"]["resolved"]["workload"]["requests"] = 41;
  EXPECT_TRUE(has_reason(run_gate(older, newer, default_gate_policy()), "scenario workload differs"));
}

// A trace names its data by content: the same trace in two checkouts (other absolute paths) is the
// same workload, and the baseline's path need not exist where the gate runs. Other content refuses.
TEST(Gate, TraceFilesAreComparedByContentNotPath) {
  const auto resolved_with = [](const std::filesystem::path& folder, const std::string& trace) {
    test::write_text_file(folder / "trace.jsonl", trace);
    return parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "synthetic", "model": {"preset": "tiny"},
        "workload": {"requests": 2, "arrival": {"process": "trace", "file": "trace.jsonl"}}})",
                          (folder / "s.json").string()).front().resolved;
  };
  const std::string trace = "{\"arrival\": 0, \"prompt_len\": 8, \"output_len\": 4}\n"
                            "{\"arrival\": 0.5, \"prompt_len\": 6, \"output_len\": 2}\n";
  auto older = baseline();
  {
    test::TempDir gone;  // the baseline's checkout: removed before the gate runs
    older["scenario"]["resolved"] = resolved_with(gone.path(), trace);
  }
  test::TempDir here;
  auto newer = noisy_candidate(1.0);
  newer["scenario"]["resolved"] = resolved_with(here.path(), trace);
  ASSERT_NE(older["scenario"]["resolved"]["workload"]["arrival"]["file"],
            newer["scenario"]["resolved"]["workload"]["arrival"]["file"]);
  EXPECT_EQ(run_gate(older, newer, default_gate_policy()).exit_code(), 0);

  test::TempDir edited;
  newer["scenario"]["resolved"] = resolved_with(edited.path(), trace.substr(0, trace.size() - 3) + "3}\n");
  EXPECT_TRUE(has_reason(run_gate(older, newer, default_gate_policy()), "scenario workload differs"));
}

// A baseline whose runs' model was written before the family traits existed (no family,
// rope_scaling, qkv_bias, sliding_window) still pairs with a new run of the same model; a model of
// another family still refuses.
TEST(Gate, ModelsAreComparedAsThisVersionWritesThem) {
  auto older = baseline();
  auto newer = noisy_candidate(1.0);
  newer["runs"][0]["model"] = model_preset("tiny").to_json();
  older["runs"][0]["model"] = model_preset("tiny").to_json();
  for (const char* key : {"family", "rope_scaling", "qkv_bias", "sliding_window"}) older["runs"][0]["model"].erase(key);
  EXPECT_EQ(run_gate(older, newer, default_gate_policy()).exit_code(), 0);
  ModelConfig windowed = model_preset("tiny");
  windowed.sliding_window = 16;
  newer["runs"][0]["model"] = windowed.to_json();
  EXPECT_TRUE(has_reason(run_gate(older, newer, default_gate_policy()), "model configuration differs"));
}

TEST(Gate, InvalidRunOrFewerCompletedRequestsAreRefusedEvenWhenFaster) {
  auto invalid = noisy_candidate(0.9);
  invalid["runs"][0]["valid"] = false;
  invalid["runs"][0]["roofline"]["invalid_reasons"] = {"decode MBU 1.12 > 1 (datasheet)"};
  const GateReport report = run_gate(baseline(), invalid, default_gate_policy());
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_TRUE(has_reason(report, "decode MBU 1.12 > 1"));

  auto fewer = noisy_candidate(0.9);
  fewer["runs"][0]["summary"]["requests"]["completed"] = 39;
  EXPECT_TRUE(has_reason(run_gate(baseline(), fewer, default_gate_policy()), "completed fewer requests (39) than the baseline (40)"));
}

TEST(Gate, MissingVariantOrTooFewSamplesAreRefused) {
  test::SyntheticRunSpec renamed;
  renamed.label = "kernels=naive";
  const GateReport missing = run_gate(baseline(), test::synthetic_results(renamed), default_gate_policy());
  EXPECT_EQ(missing.exit_code(), 2);
  EXPECT_TRUE(has_reason(missing, "variant \"default\" of the baseline is missing"));
  ASSERT_EQ(missing.notes.size(), 1u);

  test::SyntheticRunSpec few;
  few.n_requests = 3;
  const GateReport too_few = run_gate(test::synthetic_results(few), test::synthetic_results(few), default_gate_policy());
  EXPECT_EQ(too_few.exit_code(), 2);
  EXPECT_TRUE(has_reason(too_few, "metric ttft_ms: 3 baseline / 3 candidate samples, policy needs 5"));
}

TEST(Gate, MetricWithoutSamplesOnEitherSideIsNotApplicable) {
  test::SyntheticRunSpec one_token;  // n_output 1: no TPOT, no ITL
  one_token.n_output = 1;
  const GateReport report =
      run_gate(test::synthetic_results(one_token), test::synthetic_results(one_token), default_gate_policy());
  EXPECT_EQ(report.exit_code(), 0);
  int not_applicable = 0;
  for (const auto& row : report.rows) not_applicable += row.status == GateStatus::not_applicable;
  EXPECT_EQ(not_applicable, 2);
  // samples on one side only: refused
  test::SyntheticRunSpec two_tokens;
  two_tokens.n_output = 2;
  EXPECT_EQ(run_gate(test::synthetic_results(one_token), test::synthetic_results(two_tokens), default_gate_policy()).exit_code(), 2);
}

TEST(Gate, JsonCarriesVerdictAndRows) {
  const auto json = run_gate(baseline(), noisy_candidate(1.10), default_gate_policy()).to_json();
  EXPECT_EQ(json["verdict"], "REGRESSION");
  EXPECT_EQ(json["exit_code"], 1);
  EXPECT_EQ(json["metrics"][0]["metric"], "ttft_ms");
  EXPECT_EQ(json["metrics"][0]["status"], "regression");
}

}  // namespace
}  // namespace rooflm
