// NVML implementation of TelemetrySource (see nvml_telemetry_source.h).
#include "engine/metrics/nvml_telemetry_source.h"

#include "common/nvml_library.h"

namespace rooflm {
namespace {

class NvmlTelemetrySource final : public TelemetrySource {
 public:
  NvmlTelemetrySource(std::unique_ptr<nvml::Session> session, nvml::Device device)
      : session_(std::move(session)), api_(session_->api()), device_(device) {}

  TelemetryReading read() override {
    TelemetryReading r;
    unsigned int v = 0;
    if (api_.clock && api_.clock(device_, nvml::kClockSm, &v) == nvml::kSuccess) r.sm_clock_mhz = v;
    if (api_.clock && api_.clock(device_, nvml::kClockMem, &v) == nvml::kSuccess) r.mem_clock_mhz = v;
    if (api_.power_usage && api_.power_usage(device_, &v) == nvml::kSuccess) r.power_w = v / 1000.0;  // mW
    if (api_.temperature && api_.temperature(device_, nvml::kTemperatureGpu, &v) == nvml::kSuccess)
      r.temperature_c = v;
    unsigned long long mask = 0;
    if (api_.clocks_event_reasons && api_.clocks_event_reasons(device_, &mask) == nvml::kSuccess)
      r.clock_event_reasons = mask;
    return r;
  }

  std::optional<uint64_t> energy_mj() override {
    unsigned long long mj = 0;
    if (api_.total_energy && api_.total_energy(device_, &mj) == nvml::kSuccess) return mj;
    return std::nullopt;
  }

 private:
  std::unique_ptr<nvml::Session> session_;
  const nvml::Library& api_;
  nvml::Device device_;
};

bool reads_anything(const TelemetryReading& r) {
  return r.sm_clock_mhz || r.mem_clock_mhz || r.power_w || r.temperature_c || r.clock_event_reasons;
}

}  // namespace

std::unique_ptr<TelemetrySource> open_nvml_telemetry(const std::string& pci_bus_id, std::string* why_not) {
  auto session = std::make_unique<nvml::Session>();
  if (!session->ok()) {
    *why_not = session->why_not();
    return nullptr;
  }
  const nvml::Device device = session->device_by_bus_id(pci_bus_id, why_not);
  if (!device) return nullptr;
  auto source = std::make_unique<NvmlTelemetrySource>(std::move(session), device);
  if (!reads_anything(source->read()) && !source->energy_mj()) {
    *why_not = "no clock, power, temperature, clock event or energy reading is supported on device " + pci_bus_id;
    return nullptr;
  }
  return source;
}

}  // namespace rooflm
