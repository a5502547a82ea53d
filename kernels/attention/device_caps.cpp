// Cached per-device attributes (see device_caps.h).
#include "kernels/attention/device_caps.h"

#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "kernels/common/cuda_check.h"

namespace rooflm::attn {
namespace {
std::mutex cache_mutex;
}  // namespace

const DeviceCaps& current_device_caps() {
  static std::map<int, DeviceCaps> caps_by_device;
  int device = 0;
  ROOFLM_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(cache_mutex);
  auto it = caps_by_device.find(device);
  if (it == caps_by_device.end()) {
    DeviceCaps caps;
    ROOFLM_CUDA_CHECK(cudaDeviceGetAttribute(&caps.sm_count, cudaDevAttrMultiProcessorCount, device));
    ROOFLM_CUDA_CHECK(cudaDeviceGetAttribute(&caps.cc_major, cudaDevAttrComputeCapabilityMajor, device));
    ROOFLM_CUDA_CHECK(cudaDeviceGetAttribute(&caps.cc_minor, cudaDevAttrComputeCapabilityMinor, device));
    it = caps_by_device.emplace(device, caps).first;
  }
  return it->second;
}

void ensure_dynamic_smem(const void* kernel, int bytes) {
  static std::set<std::pair<const void*, int>> done;  // (kernel, device)
  int device = 0;
  ROOFLM_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(cache_mutex);
  if (done.count({kernel, device})) return;
  ROOFLM_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  done.insert({kernel, device});
}

}  // namespace rooflm::attn
