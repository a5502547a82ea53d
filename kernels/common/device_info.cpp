// cuda_device_info(): CUDA runtime properties plus NVML's driver version and clocks. NVML is
// opened with dlopen (common/nvml_library.h), so binaries still start on machines without a driver (CI).
#include "kernels/common/device_info.h"

#include <cuda_runtime.h>
#include <cstdio>
#include <string>

#include "common/nvml_library.h"
#include "kernels/common/cuda_check.h"

namespace rooflm {

bool cuda_device_present() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

nlohmann::json cuda_device_info() {
  int dev = 0, runtime = 0;
  ROOFLM_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  ROOFLM_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  ROOFLM_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  size_t free_bytes = 0, total_bytes = 0;
  ROOFLM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));

  char bus[32] = {};
  snprintf(bus, sizeof bus, "%08x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
  nlohmann::json clocks = {{"sm_mhz", nullptr}, {"mem_mhz", nullptr}, {"max_sm_mhz", nullptr}, {"max_mem_mhz", nullptr}};
  nlohmann::json driver = nullptr;
  const nvml::Session nvml;
  if (nvml.ok()) {
    const nvml::Library& api = nvml.api();
    char version[96] = {};
    if (api.driver_version && api.driver_version(version, sizeof version) == nvml::kSuccess) driver = version;
    std::string why_not;
    if (nvml::Device h = nvml.device_by_bus_id(bus, &why_not)) {
      unsigned int mhz = 0;
      if (api.clock && api.clock(h, nvml::kClockSm, &mhz) == nvml::kSuccess) clocks["sm_mhz"] = mhz;
      if (api.clock && api.clock(h, nvml::kClockMem, &mhz) == nvml::kSuccess) clocks["mem_mhz"] = mhz;
      if (api.max_clock && api.max_clock(h, nvml::kClockSm, &mhz) == nvml::kSuccess) clocks["max_sm_mhz"] = mhz;
      if (api.max_clock && api.max_clock(h, nvml::kClockMem, &mhz) == nvml::kSuccess) clocks["max_mem_mhz"] = mhz;
    }
  }
  return {{"gpu", p.name},
          {"driver", driver},
          {"cuda", std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10)},
          {"clocks", clocks},
          {"device",
           {{"compute_capability", std::to_string(p.major) + "." + std::to_string(p.minor)},
            {"pci_bus_id", bus},
            {"sm_count", p.multiProcessorCount},
            {"l2_bytes", p.l2CacheSize},
            {"memory_bytes", total_bytes},
            {"memory_free_bytes", free_bytes}}}};
}

}  // namespace rooflm
