// run.telemetry from a sampled window (see telemetry_summary.h).
#include "engine/metrics/telemetry_summary.h"

#include <map>

#include "engine/metrics/clock_event_reasons.h"

namespace rooflm {
namespace {

nlohmann::json optional_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// Trapezoid integral of power over the samples that have it (J), or nullopt with fewer than two.
std::optional<double> integrate_power(const std::vector<TelemetrySample>& samples) {
  double joules = 0;
  const TelemetrySample* prev = nullptr;
  int n = 0;
  for (const auto& s : samples) {
    if (!s.reading.power_w) continue;
    if (prev) joules += 0.5 * (*prev->reading.power_w + *s.reading.power_w) * (s.t - prev->t);
    prev = &s;
    ++n;
  }
  if (n < 2) return std::nullopt;
  return joules;
}

}  // namespace

TelemetrySummary summarize_telemetry(const TelemetryRecord& record) {
  TelemetrySummary out;
  nlohmann::json series = {{"t", nlohmann::json::array()},
                           {"sm_clock_mhz", nlohmann::json::array()},
                           {"mem_clock_mhz", nlohmann::json::array()},
                           {"power_w", nlohmann::json::array()},
                           {"temperature_c", nlohmann::json::array()},
                           {"clock_event_reasons", nlohmann::json::array()}};
  uint64_t seen = 0;
  int64_t throttled_samples = 0;
  std::map<int, int64_t> samples_per_bit;  // throttling bit -> samples showing it
  for (const auto& s : record.samples) {
    const TelemetryReading& r = s.reading;
    series["t"].push_back(s.t);
    series["sm_clock_mhz"].push_back(optional_json(r.sm_clock_mhz));
    series["mem_clock_mhz"].push_back(optional_json(r.mem_clock_mhz));
    series["power_w"].push_back(optional_json(r.power_w));
    series["temperature_c"].push_back(optional_json(r.temperature_c));
    series["clock_event_reasons"].push_back(r.clock_event_reasons ? nlohmann::json(*r.clock_event_reasons)
                                                                  : nlohmann::json(nullptr));
    if (!r.clock_event_reasons) continue;
    const uint64_t mask = *r.clock_event_reasons;
    seen |= mask;
    if (mask & kThrottlingClockEvents) ++throttled_samples;
    for (int bit = 0; bit < 64; ++bit)
      if ((mask & kThrottlingClockEvents) >> bit & 1) ++samples_per_bit[bit];
  }

  std::string energy_source = "none";
  const auto& e0 = record.energy_start_mj;
  const auto& e1 = record.energy_end_mj;
  if (e0 && e1 && *e1 > *e0) {  // equal: the counter did not tick in a short window; less: it wrapped
    out.energy_j = double(*e1 - *e0) / 1000.0;
    energy_source = "nvml_energy_counter";
  } else if (const auto j = integrate_power(record.samples); j && *j > 0) {
    out.energy_j = *j;
    energy_source = "power_samples";
  }

  out.throttled = throttled_samples > 0;
  const std::vector<std::string> throttle_names = clock_event_names(seen & kThrottlingClockEvents);
  if (out.throttled) {
    const std::string total = std::to_string(record.samples.size());
    out.invalid_reason = "GPU clocks throttled during the measured repetitions:";
    for (const auto& [bit, n] : samples_per_bit)
      out.invalid_reason += (bit == samples_per_bit.begin()->first ? " " : ", ") + clock_event_names(1ULL << bit).front() +
                            " in " + std::to_string(n) + " of " + total + " telemetry samples";
  }
  out.json = {{"status", "sampled"},
              {"period_ms", record.period_ms},
              {"window_s", record.window_s},
              {"energy_source", energy_source},
              {"energy_j", optional_json(out.energy_j)},
              {"samples", series},
              {"clock_event_reasons", clock_event_names(seen)},
              {"throttle_reasons", throttle_names},
              {"throttled_samples", throttled_samples},
              {"throttled", out.throttled}};
  if (!record.error.empty()) out.json["error"] = record.error;
  return out;
}

TelemetrySummary telemetry_not_sampled(const std::string& status) {
  TelemetrySummary out;
  out.json = {{"status", status}, {"throttled", false}};
  return out;
}

}  // namespace rooflm
