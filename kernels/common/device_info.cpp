// cuda_device_info(): CUDA runtime properties plus NVML's driver version and clocks. NVML is
// opened with dlopen, so binaries still start on machines without a driver (CI), and its few
// entry points are declared here (its stable C ABI), since the toolkit may ship without nvml.h.
#include "kernels/common/device_info.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <string>

#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

// NVML's C ABI (nvml.h): return codes, opaque device handle, clock domains.
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr int NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2;

// The few NVML entry points we use, resolved from libnvidia-ml.so.1 at run time.
struct Nvml {
  void* lib = nullptr;
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  nvmlReturn_t (*driver_version)(char*, unsigned int) = nullptr;
  nvmlReturn_t (*handle_by_bus)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned int*) = nullptr;
  nvmlReturn_t (*max_clock)(nvmlDevice_t, int, unsigned int*) = nullptr;

  Nvml() {
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return;
    init = reinterpret_cast<decltype(init)>(dlsym(lib, "nvmlInit_v2"));
    shutdown = reinterpret_cast<decltype(shutdown)>(dlsym(lib, "nvmlShutdown"));
    driver_version = reinterpret_cast<decltype(driver_version)>(dlsym(lib, "nvmlSystemGetDriverVersion"));
    handle_by_bus = reinterpret_cast<decltype(handle_by_bus)>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
    clock = reinterpret_cast<decltype(clock)>(dlsym(lib, "nvmlDeviceGetClockInfo"));
    max_clock = reinterpret_cast<decltype(max_clock)>(dlsym(lib, "nvmlDeviceGetMaxClockInfo"));
  }
  ~Nvml() {
    if (lib) dlclose(lib);
  }
  bool ok() const { return init && shutdown && driver_version && handle_by_bus && clock && max_clock; }
};

}  // namespace

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

  nlohmann::json clocks = {{"sm_mhz", nullptr}, {"mem_mhz", nullptr}, {"max_sm_mhz", nullptr}, {"max_mem_mhz", nullptr}};
  nlohmann::json driver = nullptr;
  Nvml nvml;
  if (nvml.ok() && nvml.init() == NVML_SUCCESS) {
    char version[96] = {};
    if (nvml.driver_version(version, sizeof version) == NVML_SUCCESS) driver = version;
    nvmlDevice_t h;
    char bus[32] = {};
    snprintf(bus, sizeof bus, "%08x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
    if (nvml.handle_by_bus(bus, &h) == NVML_SUCCESS) {
      unsigned int mhz = 0;
      if (nvml.clock(h, NVML_CLOCK_SM, &mhz) == NVML_SUCCESS) clocks["sm_mhz"] = mhz;
      if (nvml.clock(h, NVML_CLOCK_MEM, &mhz) == NVML_SUCCESS) clocks["mem_mhz"] = mhz;
      if (nvml.max_clock(h, NVML_CLOCK_SM, &mhz) == NVML_SUCCESS) clocks["max_sm_mhz"] = mhz;
      if (nvml.max_clock(h, NVML_CLOCK_MEM, &mhz) == NVML_SUCCESS) clocks["max_mem_mhz"] = mhz;
    }
    nvml.shutdown();
  }
  return {{"gpu", p.name},
          {"driver", driver},
          {"cuda", std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10)},
          {"clocks", clocks},
          {"device",
           {{"compute_capability", std::to_string(p.major) + "." + std::to_string(p.minor)},
            {"sm_count", p.multiProcessorCount},
            {"l2_bytes", p.l2CacheSize},
            {"memory_bytes", total_bytes},
            {"memory_free_bytes", free_bytes}}}};
}

}  // namespace rooflm
