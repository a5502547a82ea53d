// The telemetry sampling thread (see telemetry_sampler.h). A source that throws ends the sampling,
// never the run: the error goes into the record.
#include "engine/metrics/telemetry_sampler.h"

#include <exception>

namespace rooflm {

TelemetrySampler::TelemetrySampler(TelemetrySource& source, std::chrono::milliseconds period)
    : source_(source), period_(period.count() > 0 ? period : kDefaultTelemetryPeriod) {}

TelemetrySampler::~TelemetrySampler() {
  if (thread_.joinable()) (void)stop();
}

void TelemetrySampler::sample_now() {
  if (!record_.error.empty()) return;
  try {
    TelemetrySample s;
    s.reading = source_.read();
    s.t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    record_.samples.push_back(s);
  } catch (const std::exception& e) {
    record_.error = std::string("telemetry read failed: ") + e.what();
  } catch (...) {
    record_.error = "telemetry read failed";
  }
}

void TelemetrySampler::energy_into(std::optional<uint64_t>& slot) {
  if (!record_.error.empty()) return;
  try {
    slot = source_.energy_mj();
  } catch (const std::exception& e) {
    record_.error = std::string("telemetry energy read failed: ") + e.what();
  } catch (...) {
    record_.error = "telemetry energy read failed";
  }
}

void TelemetrySampler::start() {
  if (thread_.joinable()) return;
  record_ = TelemetryRecord{};
  record_.period_ms = std::chrono::duration<double, std::milli>(period_).count();
  stop_requested_ = false;
  t0_ = std::chrono::steady_clock::now();
  energy_into(record_.energy_start_mj);
  sample_now();
  thread_ = std::thread([this] { loop(); });
}

void TelemetrySampler::loop() {
  auto next = t0_ + period_;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_until(lock, next, [this] { return stop_requested_; })) {
    lock.unlock();
    sample_now();
    lock.lock();
    // A fixed period: the next tick after the one just taken; ticks a slow read overran are skipped.
    const auto now = std::chrono::steady_clock::now();
    next += period_;
    if (next <= now) next = now + period_;
  }
}

TelemetryRecord TelemetrySampler::stop() {
  if (!thread_.joinable()) return record_;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  thread_.join();
  sample_now();
  energy_into(record_.energy_end_mj);
  record_.window_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  return std::move(record_);
}

}  // namespace rooflm
