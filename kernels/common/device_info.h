// Description of the current CUDA device for results' environment section: name, driver (NVML),
// CUDA runtime, compute capability, SM count, L2 and memory sizes, current and maximum clocks.
#pragma once

#include <nlohmann/json.hpp>

namespace rooflm {

// {"gpu", "driver", "cuda", "clocks": {"sm_mhz", "mem_mhz", "max_sm_mhz", "max_mem_mhz"},
//  "device": {"compute_capability", "pci_bus_id" (NVML's form, "00000000:1b:00.0"), "sm_count", "l2_bytes", "memory_bytes", "memory_free_bytes"}}.
// Fields NVML cannot read are null. Throws CudaError when there is no device.
nlohmann::json cuda_device_info();

// Whether a CUDA device is usable (false without a driver or a device; never throws).
bool cuda_device_present();

}  // namespace rooflm
