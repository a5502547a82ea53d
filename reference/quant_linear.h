// CPU references of the quantised linear layers y = x W^T (+ bias) (W [out, in] quantised as in
// quant.h; x [n, in]; y [n, out] fp32), one per precision of the variant axis:
//   W8A16 (engine.precision int8): the dequantised weight (quant.h) times fp32 activations,
//          with the fixed-order fp32 dot product of linear.h;
//   W8A8 int8 (w8a8): int8 x int8 products accumulated exactly in int32, then
//          y = float(acc) * x_scale[t] * w_scale[o] + bias[o] (evaluated left to right, fp32);
//   FP8 (fp8): decoded e4m3 activations and weights (every product exact in fp32), the fp32 dot
//          product, then y = dot * x_scale[t] * w_scale[o] + bias[o].
// W8A8 and FP8 take per-tensor or per-channel weight scales (what a tensor-core GEMM's dequantising
// epilogue applies after the whole reduction); W8A16 any grain. All parallel over output features
// on `pool` (nullptr: serial), each output computed by one thread in a fixed order: results never
// depend on the pool or the batch.
#pragma once

#include <cstdint>

#include "common/thread_pool.h"
#include "reference/quant.h"

namespace rooflm::ref {

// The scales of quantised activations [n, in]: one per token (dynamic) or one for all (static).
struct ActivationScales {
  const float* values = nullptr;  // [n] per token, or [1]
  bool per_token = true;
  float of(int64_t t) const { return values[per_token ? t : 0]; }
};

// The largest reduction length whose int8 x int8 sums cannot overflow int32 (|code| <= 128).
inline constexpr int64_t kMaxInt8GemmInner = (int64_t(1) << 31) / (128 * 128) - 1;

//   x: [n, w.cols]; bias: [w.rows] or nullptr; y: [n, w.rows]
void linear_w8a16(ThreadPool* pool, const float* x, const QuantWeightView& w, const float* bias, float* y, int64_t n);

// acc[t, o] = sum_i x[t, i] * w[o, i], exactly (in <= kMaxInt8GemmInner).
//   x: [n, in]; w: [out, in]; acc: [n, out]
void gemm_s8s8_s32(ThreadPool* pool, const int8_t* x, const int8_t* w, int32_t* acc, int64_t n, int64_t in,
                   int64_t out);

// w: int8 codes, tensor or channel scales.   x_codes: [n, w.cols] int8; bias: [w.rows] or nullptr; y: [n, w.rows]
void linear_w8a8_int8(ThreadPool* pool, const int8_t* x_codes, ActivationScales x_scales, const QuantWeightView& w,
                      const float* bias, float* y, int64_t n);

// w: e4m3 codes, tensor or channel scales.   x_codes: [n, w.cols] e4m3; bias: [w.rows] or nullptr; y: [n, w.rows]
void linear_fp8(ThreadPool* pool, const uint8_t* x_codes, ActivationScales x_scales, const QuantWeightView& w,
                const float* bias, float* y, int64_t n);

}  // namespace rooflm::ref
