// Decode GEMVs (a few tokens, n = 1..kGemvQuantMaxTokens) of the quantised precisions, y = x W^T
// (+ bias), W [out, in] quantised (kernels/quant/quant_weight.h), streamed once from HBM at one
// byte per weight and dequantised in registers:
//   gemv_w8a16: W8A16 weight-only. x fp16; int8 codes with fp16 scales per tensor, channel or group
//               (group size a multiple of 16); y = sum_i x_i * code_i (fp32) * scale (a group's
//               partial sum times its scale), + bias.
//   gemv_w8a8:  W8A8 SmoothQuant. x int8 codes with a scale per row [n]; int8 codes with fp16
//               scales per tensor or channel; the products are summed exactly in int32 (dp4a), then
//               y = float(acc) * x_scale[t] * w_scale[o] + bias[o], left to right in fp32: the CPU
//               reference's (reference/quant_linear.h) result rounded once to fp16.
//   gemv_fp8:   FP8 E4M3. x e4m3 codes with a scale per row [n]; e4m3 codes with fp32 scales per
//               tensor or channel; decoded products summed in fp32, then y = dot * x_scale[t] *
//               w_scale[o] + bias[o].
// The layout follows gemv_f16.h: 128 threads own 2 consecutive output rows and split the input
// dimension in 16-byte vectors (16 codes); warp shuffles, then a fixed-order sum of the 4 warps
// (deterministic); programmatic dependent launch (the first weight loads overlap the previous kernel).
// Requirements: in a positive multiple of 16, 16-byte aligned codes and x.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/quant/quant_weight.h"

namespace rooflm {

inline constexpr int64_t kGemvQuantMaxTokens = 8;

// True when the kernels handle this shape: 1 <= n <= kGemvQuantMaxTokens, in a positive multiple of
// 16, out >= 1.
bool gemv_quant_supported(int64_t n, int64_t in, int64_t out);

//   x: [n, w.cols] fp16; bias: [w.rows] or nullptr; y: [n, w.rows] fp16
void gemv_w8a16(const __half* x, const QuantWeightDevice& w, const __half* bias, __half* y, int64_t n,
                cudaStream_t stream);
//   x_codes: [n, w.cols] (int8 for an i8 weight, e4m3 for f8e4m3); x_scales: [n] fp32
void gemv_w8a8(const uint8_t* x_codes, const float* x_scales, const QuantWeightDevice& w, const __half* bias,
               __half* y, int64_t n, cudaStream_t stream);

}  // namespace rooflm
