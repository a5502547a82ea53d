// Telemetry in a run and in the gate: a cpu run records "no GPU" and null energy; a run sampled
// through an injected fake source carries energy_j / tokens_per_j and the time series; throttled
// clocks mark the run invalid; and `rooflm gate` refuses the committed throttled-clock fixture
// (tests/fixtures/results/throttled_clocks.json) naming the throttle reason.
// Run: build/tests/rooflm_unit_tests --gtest_filter='TelemetryRun*:TelemetryGate*'
#include <gtest/gtest.h>

#include <filesystem>

#include "common/source_dir.h"
#include "engine/metrics/clock_event_reasons.h"
#include "engine/results/gate.h"
#include "engine/results/gate_policy.h"
#include "engine/results/json_schema_check.h"
#include "engine/results/results_reader.h"
#include "engine/runtime/variant_run.h"
#include "tests/unit/fake_telemetry_source.h"

namespace rooflm {
namespace {

using namespace std::chrono_literals;

Scenario tiny_cpu_scenario() {
  return parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "telemetry",
    "model": {"preset": "tiny"}, "engine": {"backend": "cpu", "threads": 2},
    "workload": {"requests": 3, "prompt_len": 4, "output_len": 3},
    "measure": {"repetitions": 2, "warmup_requests": 1}})",
                        "telemetry.json")
      .at(0);
}

nlohmann::json run_schema() {
  nlohmann::json schema = result_schema();
  schema.erase("required");
  schema.erase("properties");
  schema["$ref"] = "#/$defs/run";
  return schema;
}

TEST(TelemetryRun, CpuRunIsNotSampledAndHasNoEnergy) {
  const VariantResult r = run_variant(tiny_cpu_scenario());
  EXPECT_EQ(r.run["telemetry"], (nlohmann::json{{"status", "no GPU (cpu backend)"}, {"throttled", false}}));
  EXPECT_TRUE(r.run["summary"]["energy_j"].is_null());
  EXPECT_TRUE(r.run["summary"]["tokens_per_j"].is_null());
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.run["invalid_reasons"], nlohmann::json::array());
  EXPECT_EQ(json_schema_violations(r.run, run_schema()), std::vector<std::string>{});
}

TEST(TelemetryRun, SampledRunCarriesEnergyAndSeries) {
  BackendOptions options;
  options.telemetry_period = 1ms;
  test::FakeTelemetrySource* fake = nullptr;
  options.telemetry_source = [&] {
    auto s = std::make_unique<test::FakeTelemetrySource>(std::vector<TelemetryReading>{test::reading(0)}, 2500);
    fake = s.get();
    return s;
  };
  const VariantResult r = run_variant(tiny_cpu_scenario(), options);
  ASSERT_NE(fake, nullptr);
  const nlohmann::json& t = r.run["telemetry"];
  EXPECT_EQ(t["status"], "sampled");
  EXPECT_EQ(t["period_ms"], 1.0);
  EXPECT_EQ(t["energy_source"], "nvml_energy_counter");
  EXPECT_EQ(t["throttled"], false);
  EXPECT_GE(t["samples"]["t"].size(), 2u);
  EXPECT_EQ(t["samples"]["power_w"].size(), t["samples"]["t"].size());
  const nlohmann::json& s = r.run["summary"];
  EXPECT_EQ(s["energy_j"], 2.5);  // one counter step between start and stop
  const int64_t out_tokens = s["counts"]["output_tokens"];
  EXPECT_EQ(out_tokens, 2 * 3 * 3);  // 2 repetitions x 3 requests x 3 tokens, no warm-up
  EXPECT_DOUBLE_EQ(s["tokens_per_j"].get<double>(), out_tokens / 2.5);
  EXPECT_DOUBLE_EQ(s["total_tokens_per_j"].get<double>(), (out_tokens + s["counts"]["prompt_tokens"].get<int64_t>()) / 2.5);
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(json_schema_violations(r.run, run_schema()), std::vector<std::string>{});
}

TEST(TelemetryRun, ThrottledClocksMarkTheRunInvalid) {
  BackendOptions options;
  options.telemetry_source = [] {
    return std::make_unique<test::FakeTelemetrySource>(
        std::vector<TelemetryReading>{test::reading(kClockEventSwPowerCap | kClockEventGpuIdle)});
  };
  const VariantResult r = run_variant(tiny_cpu_scenario(), options);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.run["valid"], false);
  EXPECT_EQ(r.run["telemetry"]["throttled"], true);
  EXPECT_EQ(r.run["telemetry"]["throttle_reasons"], nlohmann::json{"sw_power_cap"});
  ASSERT_EQ(r.run["invalid_reasons"].size(), 1u);
  EXPECT_NE(r.run["invalid_reasons"][0].get<std::string>().find("GPU clocks throttled during the measured repetitions: sw_power_cap"),
            std::string::npos);
  EXPECT_EQ(json_schema_violations(r.run, run_schema()), std::vector<std::string>{});
}

nlohmann::json throttled_fixture() {
  return read_results(std::filesystem::path(source_dir()) / "tests/fixtures/results/throttled_clocks.json");
}

nlohmann::json unthrottled(nlohmann::json doc) {
  auto& run = doc["runs"][0];
  run["valid"] = true;
  run["invalid_reasons"] = nlohmann::json::array();
  run["telemetry"]["throttled"] = false;
  run["telemetry"]["throttle_reasons"] = nlohmann::json::array();
  return doc;
}

bool has_reason(const GateReport& report, const std::string& fragment) {
  for (const auto& r : report.invalid_reasons)
    if (r.find(fragment) != std::string::npos) return true;
  return false;
}

TEST(TelemetryGate, ThrottledCandidateFixtureIsRefused) {
  const nlohmann::json throttled = throttled_fixture();  // conforms to the schema (read_results checks)
  const GateReport report = run_gate(unthrottled(throttled), throttled, default_gate_policy());
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_TRUE(has_reason(report, "candidate run \"default\" is marked invalid: GPU clocks throttled during the "
                                 "measured repetitions: sw_power_cap in 2 of 6 telemetry samples"))
      << (report.invalid_reasons.empty() ? "" : report.invalid_reasons.front());
  EXPECT_FALSE(has_reason(report, "baseline run"));
  // A throttled baseline is refused as well.
  EXPECT_TRUE(has_reason(run_gate(throttled, unthrottled(throttled), default_gate_policy()),
                         "baseline run \"default\" is marked invalid: GPU clocks throttled"));
}

TEST(TelemetryGate, ThrottledTelemetryIsRefusedEvenWhereValidSaysTrue) {
  nlohmann::json edited = throttled_fixture();
  edited["runs"][0]["valid"] = true;
  const GateReport report = run_gate(unthrottled(edited), edited, default_gate_policy());
  EXPECT_EQ(report.exit_code(), 2);
  EXPECT_TRUE(has_reason(report, "candidate run \"default\": GPU clocks throttled during the measured "
                                 "repetitions (sw_power_cap)"));
}

}  // namespace
}  // namespace rooflm
