// A sampled telemetry window as results JSON (`run.telemetry`), its energy and its throttling
// verdict: a run is throttled when any sample shows a throttling clock event reason
// (kThrottlingClockEvents: sw power cap, hw slowdown, sw / hw thermal, hw power brake).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics/telemetry_sampler.h"

namespace rooflm {

struct TelemetrySummary {
  // {"status", "period_ms", "window_s", "energy_source", "energy_j", "samples": {"t", "sm_clock_mhz",
  //  "mem_clock_mhz", "power_w", "temperature_c", "clock_event_reasons"}, "clock_event_reasons",
  //  "throttle_reasons", "throttled_samples", "throttled"[, "error"]}
  nlohmann::json json;
  std::optional<double> energy_j;  // null: not measured
  bool throttled = false;
  std::string invalid_reason;      // non-empty when throttled: names the reasons and their sample counts
};

// Energy: the energy counter's delta over the window ("energy_source": "nvml_energy_counter"), else
// the trapezoid integral of the power samples ("power_samples"), else none ("none", energy_j null).
TelemetrySummary summarize_telemetry(const TelemetryRecord& record);

// `run.telemetry` of a run that was not sampled: {"status": why, "throttled": false}.
TelemetrySummary telemetry_not_sampled(const std::string& status);

}  // namespace rooflm
