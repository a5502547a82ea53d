// Telemetry source selection and the energy summary of a variant (see variant_telemetry.h).
#include "engine/runtime/variant_telemetry.h"

#include "engine/metrics/nvml_telemetry_source.h"

namespace rooflm {

VariantTelemetry::VariantTelemetry(BackendKind backend, const nlohmann::json& device_info,
                                   const BackendOptions& options) {
  if (options.telemetry_source) {
    source_ = options.telemetry_source();
    if (!source_) status_ = "NVML not available: the injected telemetry source is empty";
  } else if (backend != BackendKind::cuda) {
    status_ = "no GPU (" + std::string(name(backend)) + " backend)";
  } else {
    const nlohmann::json bus = device_info.is_object() && device_info.contains("device") && device_info["device"].is_object()
                                   ? device_info["device"].value("pci_bus_id", nlohmann::json(nullptr))
                                   : nlohmann::json(nullptr);
    std::string why_not;
    if (!bus.is_string())
      why_not = "the cuda backend's device info has no PCI bus id";
    else
      source_ = open_nvml_telemetry(bus.get<std::string>(), &why_not);
    if (!source_) status_ = "NVML not available: " + why_not;
  }
  if (source_) sampler_.emplace(*source_, options.telemetry_period);
}

void VariantTelemetry::start() {
  if (sampler_) sampler_->start();
}

TelemetrySummary VariantTelemetry::stop() {
  if (!sampler_) return telemetry_not_sampled(status_);
  return summarize_telemetry(sampler_->stop());
}

void add_energy_summary(nlohmann::json& summary, const TelemetrySummary& telemetry, const RunCounts& counts) {
  const auto& e = telemetry.energy_j;
  const bool measured = e && *e > 0;
  summary["energy_j"] = measured ? nlohmann::json(*e) : nlohmann::json(nullptr);
  summary["tokens_per_j"] = measured ? nlohmann::json(double(counts.output_tokens) / *e) : nlohmann::json(nullptr);
  summary["total_tokens_per_j"] =
      measured ? nlohmann::json(double(counts.prompt_tokens + counts.output_tokens) / *e) : nlohmann::json(nullptr);
}

}  // namespace rooflm
