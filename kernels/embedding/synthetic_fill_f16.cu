// Synthetic weights on the GPU (see synthetic_fill_f16.h). The addition uses __fadd_rn so that nvcc
// cannot fuse it with synthetic_value's final multiply into an FMA: the host rounds the product and
// the sum separately, and so must the device for the fp16 results to be bit-identical.
#include "kernels/embedding/synthetic_fill_f16.h"

#include <string>

#include "common/error.h"
#include "common/synthetic_init.h"
#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

constexpr int kThreads = 256;

__global__ void fill_synthetic_kernel(__half* __restrict__ out,  // [numel]
                                      int64_t numel, uint64_t seed, uint64_t tensor_id, float scale, float offset) {
  const int64_t index = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (index >= numel) return;
  out[index] = __float2half_rn(__fadd_rn(offset, synthetic_value(seed, tensor_id, uint64_t(index), scale)));
}

}  // namespace

void fill_synthetic_f16(__half* out, int64_t numel, uint64_t seed, uint64_t tensor_id, float scale, float offset,
                        cudaStream_t stream) {
  ROOFLM_CHECK(numel >= 0, "synthetic fill numel=" + std::to_string(numel));
  if (numel == 0) return;
  fill_synthetic_kernel<<<unsigned((numel + kThreads - 1) / kThreads), kThreads, 0, stream>>>(out, numel, seed,
                                                                                            tensor_id, scale, offset);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace rooflm
