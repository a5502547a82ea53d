// A scripted TelemetrySource for the telemetry tests: readings cycle through a list, the energy
// counter advances by a fixed step per read (or is absent), and it can throw after n reads.
#pragma once

#include <atomic>
#include <stdexcept>
#include <vector>

#include "engine/metrics/telemetry_source.h"

namespace rooflm::test {

class FakeTelemetrySource final : public TelemetrySource {
 public:
  explicit FakeTelemetrySource(std::vector<TelemetryReading> script, std::optional<uint64_t> energy_step_mj = 1000)
      : script_(std::move(script)), energy_step_mj_(energy_step_mj) {}

  TelemetryReading read() override {
    const int64_t n = reads_++;
    if (throw_after_ >= 0 && n >= throw_after_) throw std::runtime_error("fake NVML call failed");
    return script_.empty() ? TelemetryReading{} : script_[size_t(n) % script_.size()];
  }
  std::optional<uint64_t> energy_mj() override {
    if (!energy_step_mj_) return std::nullopt;
    return energy_ += *energy_step_mj_;
  }
  int64_t reads() const { return reads_; }
  void throw_after(int64_t n) { throw_after_ = n; }

 private:
  std::vector<TelemetryReading> script_;
  std::optional<uint64_t> energy_step_mj_;
  uint64_t energy_ = 5'000'000;  // the counter counts since the driver loaded: never 0 at start
  std::atomic<int64_t> reads_{0};
  int64_t throw_after_ = -1;
};

// A reading at the H200's clocks with these clock event reason bits.
inline TelemetryReading reading(uint64_t reasons, double power_w = 500) {
  TelemetryReading r;
  r.sm_clock_mhz = 1980;
  r.mem_clock_mhz = 3201;
  r.power_w = power_w;
  r.temperature_c = 55;
  r.clock_event_reasons = reasons;
  return r;
}

}  // namespace rooflm::test
