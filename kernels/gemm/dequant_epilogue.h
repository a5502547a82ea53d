// The dequantising epilogue of the W8A8 and FP8 GEMMs when it cannot run inside cuBLASLt (the int8
// IMMA GEMM writes int32; an FP8 GEMM without outer-vector scales writes fp32):
//   y[t, o] = fp16(acc[t, o] * x_scales[t] * w_scale(o) + bias[o]), left to right in fp32 (the
//   CPU reference's order, reference/quant_linear.h), w_scale(o) = w_scales[o] (channel) or
//   w_scales[0] (tensor): __half for int8 weights, float for e4m3.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

//   acc: [n, out]; x_scales: [n]; w_scales: [out] or [1]; bias: [out] or nullptr; y: [n, out]
void dequant_epilogue_s32(const int32_t* acc, const float* x_scales, const __half* w_scales, bool per_channel,
                          const __half* bias, __half* y, int64_t n, int64_t out, cudaStream_t stream);
void dequant_epilogue_f32(const float* acc, const float* x_scales, const float* w_scales, bool per_channel,
                          const __half* bias, __half* y, int64_t n, int64_t out, cudaStream_t stream);

}  // namespace rooflm
