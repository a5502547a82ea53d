// The NVML telemetry source: SM / memory clocks, power, GPU temperature, clock event reasons and the
// energy counter of one device, through libnvidia-ml.so.1 opened at run time (common/nvml_library.h).
#pragma once

#include <memory>
#include <string>

#include "engine/metrics/telemetry_source.h"

namespace rooflm {

// The NVML source of the device with this PCI bus id (environment.device.pci_bus_id of the cuda
// backend), or null with *why_not saying why (no libnvidia-ml.so.1, nvmlInit_v2 failed, no device
// with that bus id, or none of its readings is supported). Never throws.
std::unique_ptr<TelemetrySource> open_nvml_telemetry(const std::string& pci_bus_id, std::string* why_not);

}  // namespace rooflm
