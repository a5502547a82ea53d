// GPU time of one kernel within one op of a step, from the cuda backend's kernel trace (CUPTI
// activity records, measure.kernel_trace). `op` names the cost model's op the kernel belongs to
// ("qkv_proj", "attention", ...; see engine/roofline/cost_model.h), or is empty when the kernel
// could not be attributed (kernels replayed from a CUDA graph carry the graph launch's id only).
#pragma once

#include <cstdint>
#include <string>

namespace rooflm {

struct KernelTime {
  std::string kernel;  // demangled name without parameters, e.g. "rooflm::rmsnorm_f16_kernel<8>"
  std::string op;
  int64_t calls = 0;
  double seconds = 0;  // summed over calls
};

}  // namespace rooflm
