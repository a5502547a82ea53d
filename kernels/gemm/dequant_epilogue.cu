// Dequantising epilogue (see dequant_epilogue.h): one thread per output element.
#include "kernels/gemm/dequant_epilogue.h"

#include <string>

#include "common/error.h"
#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

__device__ __forceinline__ float as_float(int32_t v) { return float(v); }
__device__ __forceinline__ float as_float(float v) { return v; }
__device__ __forceinline__ float as_float(__half v) { return __half2float(v); }

template <class Acc, class Scale>
__global__ void dequant_epilogue_kernel(const Acc* __restrict__ acc, const float* __restrict__ x_scales,
                                        const Scale* __restrict__ w_scales, bool per_channel,
                                        const __half* __restrict__ bias, __half* __restrict__ y, int64_t n,
                                        int64_t out) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n * out) return;
  const int64_t t = i / out, o = i % out;
  float v = __fmul_rn(__fmul_rn(as_float(acc[i]), x_scales[t]), as_float(w_scales[per_channel ? o : 0]));
  if (bias != nullptr) v = __fadd_rn(v, __half2float(bias[o]));
  y[i] = __float2half_rn(v);
}

template <class Acc, class Scale>
void launch(const Acc* acc, const float* x_scales, const Scale* w_scales, bool per_channel, const __half* bias,
            __half* y, int64_t n, int64_t out, cudaStream_t stream) {
  ROOFLM_CHECK(n >= 0 && out > 0, "dequant epilogue n=" + std::to_string(n) + " out=" + std::to_string(out));
  if (n == 0) return;
  constexpr int kThreads = 256;
  dequant_epilogue_kernel<<<unsigned((n * out + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
      acc, x_scales, w_scales, per_channel, bias, y, n, out);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void dequant_epilogue_s32(const int32_t* acc, const float* x_scales, const __half* w_scales, bool per_channel,
                          const __half* bias, __half* y, int64_t n, int64_t out, cudaStream_t stream) {
  launch(acc, x_scales, w_scales, per_channel, bias, y, n, out, stream);
}

void dequant_epilogue_f32(const float* acc, const float* x_scales, const float* w_scales, bool per_channel,
                          const __half* bias, __half* y, int64_t n, int64_t out, cudaStream_t stream) {
  launch(acc, x_scales, w_scales, per_channel, bias, y, n, out, stream);
}

}  // namespace rooflm
