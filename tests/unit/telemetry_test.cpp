// GPU telemetry without a GPU: the sampler's thread with a fake source (fixed period, prompt stop,
// a throwing source), the throttling verdict and energy of a window (energy counter, power
// integral, none), clock event reason names, and NVML absent or failing (the CI machine: the
// status says why, nothing throws). Run: build/tests/rooflm_unit_tests --gtest_filter='Telemetry.*'
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/metrics/clock_event_reasons.h"
#include "engine/metrics/nvml_telemetry_source.h"
#include "engine/metrics/telemetry_sampler.h"
#include "engine/metrics/telemetry_summary.h"
#include "engine/runtime/variant_telemetry.h"
#include "tests/unit/fake_telemetry_source.h"

namespace rooflm {
namespace {

using namespace std::chrono_literals;
using test::FakeTelemetrySource;
using test::reading;

TEST(Telemetry, ClockEventNamesLowestBitFirstAndUnknownBitsInHex) {
  EXPECT_EQ(clock_event_names(0), std::vector<std::string>{});
  EXPECT_EQ(clock_event_names(0x1 | 0x4 | 0x100),
            (std::vector<std::string>{"gpu_idle", "sw_power_cap", "display_clock_setting"}));
  EXPECT_EQ(clock_event_names(kThrottlingClockEvents),
            (std::vector<std::string>{"sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown",
                                      "hw_power_brake_slowdown"}));
  EXPECT_EQ(clock_event_names(0x200), std::vector<std::string>{"0x200"});
}

TEST(Telemetry, SamplerReadsAtItsPeriodBetweenStartAndStop) {
  FakeTelemetrySource source({reading(0)});
  TelemetrySampler sampler(source, 5ms);
  sampler.start();
  std::this_thread::sleep_for(100ms);
  const TelemetryRecord rec = sampler.stop();
  EXPECT_EQ(rec.period_ms, 5.0);
  EXPECT_TRUE(rec.error.empty());
  // One at start, ~20 from the thread (a loaded machine may manage fewer), one at stop.
  EXPECT_GE(rec.samples.size(), 5u);
  EXPECT_LE(rec.samples.size(), 23u);
  for (size_t i = 1; i < rec.samples.size(); ++i) EXPECT_GE(rec.samples[i].t, rec.samples[i - 1].t);
  EXPECT_GE(rec.window_s, 0.1);
  EXPECT_GE(rec.samples.back().t, 0.1);
  ASSERT_TRUE(rec.energy_start_mj && rec.energy_end_mj);
  EXPECT_EQ(*rec.energy_end_mj - *rec.energy_start_mj, 1000u);  // the fake's counter: one step per read
  const int64_t reads = source.reads();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(source.reads(), reads) << "the thread still reads after stop()";
}

TEST(Telemetry, StopWakesTheThreadAtOnceAndTheDestructorJoins) {
  FakeTelemetrySource source({reading(0)});
  const auto t0 = std::chrono::steady_clock::now();
  {
    TelemetrySampler sampler(source, 60s);
    sampler.start();
    const TelemetryRecord rec = sampler.stop();
    EXPECT_EQ(rec.samples.size(), 2u);  // start and stop, none from a period that never elapsed
    TelemetrySampler unstopped(source, 60s);
    unstopped.start();
  }  // ~TelemetrySampler of a running sampler: stops and joins
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(Telemetry, ASourceThatThrowsEndsTheSamplingNotTheRun) {
  FakeTelemetrySource source({reading(0)});
  source.throw_after(3);
  TelemetrySampler sampler(source, 2ms);
  sampler.start();
  std::this_thread::sleep_for(40ms);
  TelemetryRecord rec;
  ASSERT_NO_THROW(rec = sampler.stop());
  EXPECT_EQ(rec.samples.size(), 3u);
  EXPECT_NE(rec.error.find("fake NVML call failed"), std::string::npos) << rec.error;
  const TelemetrySummary s = summarize_telemetry(rec);
  EXPECT_EQ(s.json["status"], "sampled");
  EXPECT_NE(s.json["error"].get<std::string>().find("telemetry read failed"), std::string::npos);
}

TelemetryRecord window(std::vector<uint64_t> reasons, std::optional<uint64_t> e0, std::optional<uint64_t> e1) {
  TelemetryRecord rec;
  rec.period_ms = 20;
  for (size_t i = 0; i < reasons.size(); ++i) rec.samples.push_back({0.02 * double(i), reading(reasons[i], 400)});
  rec.window_s = 0.02 * double(reasons.size() - 1);
  rec.energy_start_mj = e0;
  rec.energy_end_mj = e1;
  return rec;
}

TEST(Telemetry, ThrottledClockFixtureIsFlaggedWithItsReasons) {
  const TelemetrySummary s =
      summarize_telemetry(window({0, kClockEventSwPowerCap, kClockEventSwPowerCap | kClockEventHwThermalSlowdown, 0},
                                 1000, 3000));
  EXPECT_TRUE(s.throttled);
  EXPECT_EQ(s.json["throttled"], true);
  EXPECT_EQ(s.json["throttled_samples"], 2);
  EXPECT_EQ(s.json["throttle_reasons"], (nlohmann::json{"sw_power_cap", "hw_thermal_slowdown"}));
  EXPECT_EQ(s.invalid_reason,
            "GPU clocks throttled during the measured repetitions: sw_power_cap in 2 of 4 telemetry samples, "
            "hw_thermal_slowdown in 1 of 4 telemetry samples");
  EXPECT_EQ(s.json["samples"]["clock_event_reasons"], (nlohmann::json{0, 4, 0x44, 0}));
  EXPECT_EQ(s.json["samples"]["sm_clock_mhz"].size(), 4u);
}

TEST(Telemetry, IdleSyncBoostApplicationAndDisplayClocksAreNotThrottling) {
  const uint64_t benign = kClockEventGpuIdle | kClockEventApplicationsClocksSetting | kClockEventSyncBoost |
                          kClockEventDisplayClockSetting;
  const TelemetrySummary s = summarize_telemetry(window({benign, benign, 0}, 1000, 2000));
  EXPECT_FALSE(s.throttled);
  EXPECT_TRUE(s.invalid_reason.empty());
  EXPECT_EQ(s.json["throttle_reasons"], nlohmann::json::array());
  EXPECT_EQ(s.json["clock_event_reasons"].size(), 4u);
}

TEST(Telemetry, EnergyFromTheCounterElseThePowerIntegralElseNone) {
  TelemetrySummary s = summarize_telemetry(window({0, 0, 0}, 1'000'000, 1'012'500));
  EXPECT_EQ(s.json["energy_source"], "nvml_energy_counter");
  EXPECT_DOUBLE_EQ(*s.energy_j, 12.5);
  // No counter, or one that did not tick in the window: 400 W over 0.04 s.
  for (auto e1 : {std::optional<uint64_t>{}, std::optional<uint64_t>{1'000'000}}) {
    s = summarize_telemetry(window({0, 0, 0}, 1'000'000, e1));
    EXPECT_EQ(s.json["energy_source"], "power_samples");
    EXPECT_NEAR(*s.energy_j, 16.0, 1e-9);
  }
  s = summarize_telemetry(window({0}, std::nullopt, std::nullopt));  // one sample: nothing to integrate
  EXPECT_EQ(s.json["energy_source"], "none");
  EXPECT_FALSE(s.energy_j);
  EXPECT_TRUE(s.json["energy_j"].is_null());
}

TEST(Telemetry, EnergySummaryIsTokensPerJouleOrNull) {
  RunCounts counts;
  counts.prompt_tokens = 300;
  counts.output_tokens = 100;
  TelemetrySummary t;
  t.energy_j = 50;
  nlohmann::json summary;
  add_energy_summary(summary, t, counts);
  EXPECT_EQ(summary["energy_j"], 50.0);
  EXPECT_EQ(summary["tokens_per_j"], 2.0);
  EXPECT_EQ(summary["total_tokens_per_j"], 8.0);
  add_energy_summary(summary, telemetry_not_sampled("no GPU (cpu backend)"), counts);
  EXPECT_TRUE(summary["energy_j"].is_null());
  EXPECT_TRUE(summary["tokens_per_j"].is_null());
  EXPECT_TRUE(summary["total_tokens_per_j"].is_null());
}

// CI has no driver: libnvidia-ml.so.1 does not open. With a driver, the bus id matches no device.
// Either way there is no source, a reason, and no exception.
TEST(Telemetry, NvmlAbsentOrNoSuchDeviceIsAStatusNotAFailure) {
  std::string why_not;
  std::unique_ptr<TelemetrySource> source;
  ASSERT_NO_THROW(source = open_nvml_telemetry("ffffffff:ff:ff.0", &why_not));
  EXPECT_EQ(source, nullptr);
  EXPECT_FALSE(why_not.empty());

  const nlohmann::json cuda_info = {{"device", {{"pci_bus_id", "ffffffff:ff:ff.0"}}}};
  VariantTelemetry cuda(BackendKind::cuda, cuda_info, BackendOptions{});
  cuda.start();
  const TelemetrySummary s = cuda.stop();
  EXPECT_EQ(s.json["status"].get<std::string>().rfind("NVML not available: ", 0), 0u) << s.json.dump();
  EXPECT_EQ(s.json["throttled"], false);
  EXPECT_FALSE(s.energy_j);

  VariantTelemetry no_bus(BackendKind::cuda, nlohmann::json::object(), BackendOptions{});
  EXPECT_EQ(no_bus.stop().json["status"], "NVML not available: the cuda backend's device info has no PCI bus id");
  VariantTelemetry cpu(BackendKind::cpu, nlohmann::json::object(), BackendOptions{});
  cpu.start();
  EXPECT_EQ(cpu.stop().json, (nlohmann::json{{"status", "no GPU (cpu backend)"}, {"throttled", false}}));
}

}  // namespace
}  // namespace rooflm
