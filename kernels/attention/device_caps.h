// Per-device facts the attention launchers need on every launch, read from the driver once per
// device (launch paths stay free of attribute queries): SM count, compute capability, and the
// one-time raise of a kernel's dynamic shared-memory limit.
#pragma once

#include <cuda_runtime.h>

namespace rooflm::attn {

struct DeviceCaps {
  int sm_count = 0;
  int cc_major = 0;
  int cc_minor = 0;
};

// Of the current device.
const DeviceCaps& current_device_caps();

// cudaFuncSetAttribute(kernel, MaxDynamicSharedMemorySize, bytes), once per (kernel, device).
void ensure_dynamic_smem(const void* kernel, int bytes);

}  // namespace rooflm::attn
