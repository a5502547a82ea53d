// TelemetrySampler: reads a TelemetrySource on a background thread at a fixed period (default 20 ms)
// between start() and stop(), plus the energy counter at both ends. run_variant starts it just before
// the measured repetitions and stops it after them (the warm-up is not sampled).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/metrics/telemetry_source.h"

namespace rooflm {

struct TelemetrySample {
  double t = 0;  // seconds since start()
  TelemetryReading reading;
};

// What one window sampled.
struct TelemetryRecord {
  double period_ms = 0;
  double window_s = 0;                             // start() -> stop()
  std::vector<TelemetrySample> samples;            // one at start(), every period, one at stop()
  std::optional<uint64_t> energy_start_mj, energy_end_mj;  // the counter at start() and stop()
  std::string error;                               // non-empty: the source threw (sampling stopped there)
};

class TelemetrySampler {
 public:
  explicit TelemetrySampler(TelemetrySource& source, std::chrono::milliseconds period = kDefaultTelemetryPeriod);
  ~TelemetrySampler();  // stops and joins a running thread
  TelemetrySampler(const TelemetrySampler&) = delete;
  TelemetrySampler& operator=(const TelemetrySampler&) = delete;

  void start();             // reads the energy counter and a first sample, then starts the thread
  TelemetryRecord stop();   // wakes and joins the thread, reads a last sample and the energy counter

 private:
  void loop();
  void sample_now();                 // one reading into record_ (its caller holds no lock)
  void energy_into(std::optional<uint64_t>& slot);

  TelemetrySource& source_;
  const std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point t0_;
  TelemetryRecord record_;           // written by the thread while it runs, by start()/stop() otherwise
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  std::thread thread_;
};

}  // namespace rooflm
