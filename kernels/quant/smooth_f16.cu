// SmoothQuant's column scaling and row division of fp16 tensors (smooth_f16.h). Run once at load;
// a grid-stride loop over the elements, the IEEE-rounded fp32 multiply / divide (__fmul_rn,
// __fdiv_rn) whatever the compile flags, so the results equal the host's.
#include "kernels/quant/smooth_f16.h"

#include <algorithm>

#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

constexpr int kThreads = 256;

__global__ void scale_columns_kernel(__half* w, int64_t numel, int64_t cols, const float* s) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += int64_t(gridDim.x) * blockDim.x)
    w[i] = __float2half_rn(__fmul_rn(__half2float(w[i]), s[i % cols]));
}

__global__ void divide_rows_kernel(__half* w, int64_t numel, int64_t cols, const float* s) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < numel; i += int64_t(gridDim.x) * blockDim.x)
    w[i] = __float2half_rn(__fdiv_rn(__half2float(w[i]), s[i / cols]));
}

int blocks_for(int64_t numel) { return int(std::clamp<int64_t>((numel + kThreads - 1) / kThreads, 1, 65536)); }

}  // namespace

void scale_columns_f16(__half* w, int64_t rows, int64_t cols, const float* s, cudaStream_t stream) {
  if (rows * cols == 0) return;
  scale_columns_kernel<<<blocks_for(rows * cols), kThreads, 0, stream>>>(w, rows * cols, cols, s);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

void divide_rows_f16(__half* w, int64_t rows, int64_t cols, const float* s, cudaStream_t stream) {
  if (rows * cols == 0) return;
  divide_rows_kernel<<<blocks_for(rows * cols), kThreads, 0, stream>>>(w, rows * cols, cols, s);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace rooflm
