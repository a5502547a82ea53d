// Where GPU telemetry samples come from: an interface, so the sampler and its results are tested
// with a fake source (no GPU, no NVML); the real one reads NVML (nvml_telemetry_source.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace rooflm {

// The sampling period of a run's telemetry (BackendOptions::telemetry_period).
inline constexpr std::chrono::milliseconds kDefaultTelemetryPeriod{20};

// One reading of the device; a value the source could not read is nullopt.
struct TelemetryReading {
  std::optional<double> sm_clock_mhz, mem_clock_mhz, power_w, temperature_c;
  std::optional<uint64_t> clock_event_reasons;  // NVML clock event reason bits (clock_event_reasons.h)
};

class TelemetrySource {
 public:
  virtual ~TelemetrySource() = default;
  // Reads clocks, power, temperature and clock event reasons now. Called from the sampler's thread,
  // never from two threads at once.
  virtual TelemetryReading read() = 0;
  // The device's cumulative energy counter in millijoules (NVML: since the driver loaded), or
  // nullopt where the device has none.
  virtual std::optional<uint64_t> energy_mj() = 0;
};

}  // namespace rooflm
