// GPU telemetry of a variant's measured repetitions: picks the source (NVML on the cuda backend's
// device, a test's injected source, or none), samples between start() and stop(), and puts the
// results into the run: run.telemetry, summary.energy_j / tokens_per_j / total_tokens_per_j, and
// the throttling invalid reason. Never fails a run: without NVML the status says why.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/variant.h"
#include "engine/backend/backend_factory.h"
#include "engine/metrics/run_counts.h"
#include "engine/metrics/telemetry_sampler.h"
#include "engine/metrics/telemetry_summary.h"

namespace rooflm {

class VariantTelemetry {
 public:
  // device_info: the backend's (cuda: device.pci_bus_id names the NVML device).
  VariantTelemetry(BackendKind backend, const nlohmann::json& device_info, const BackendOptions& options);
  void start();             // just before the measured repetitions
  TelemetrySummary stop();  // just after them; not sampled: {"status": why, "throttled": false}

 private:
  std::unique_ptr<TelemetrySource> source_;
  std::optional<TelemetrySampler> sampler_;
  std::string status_;  // why there is no source
};

// summary.energy_j, summary.tokens_per_j (output tokens of the completed requests per joule) and
// summary.total_tokens_per_j ((prompt + output) tokens per joule); null when energy was not measured.
void add_energy_summary(nlohmann::json& summary, const TelemetrySummary& telemetry, const RunCounts& counts);

}  // namespace rooflm
