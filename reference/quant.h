// CPU references of quantisation (the precision axis, issue 12): symmetric int8 and FP8 E4M3
// (fp8_e4m3.h) codes for weights (one scale per tensor, per output channel, or per group of inputs
// of an output channel) and for activations (per token, computed from the row: "dynamic"; or one
// given per-tensor scale: "static"), and dequantisation. The oracle of the GPU quantise kernels and
// what the cpu backend quantises its weights with at load. Layouts follow linear.h: a weight is
// row-major [out, in] (a row is an output channel), activations [n_tokens, in].
//
// Rules every function here follows:
//   * value = code * scale; codes come from x / scale (an fp32 division), rounded to nearest with
//     ties to even; int8 is symmetric: codes in [-127, 127] (-128 is never produced);
//   * scale = max|x| / 127 (int8) or / 448 (fp8) over the scale's block; a block of zeros gets
//     scale 0 and codes 0 (dequantised: 0, never 0/0 = NaN);
//   * int8 WEIGHT scales are fp16 values (what the GPU stores): fp16(max|w| / 127), raised to the
//     next fp16 when rounding left 127.5 * scale < max|w| (only subnormal fp16 scales, max|w| <
//     ~8e-3, round that coarsely), so |w - dq(q(w))| <= scale / 2 for every weight (plus the fp32
//     division's 127 * 2^-24 * scale);
//     fp8 weight scales and every activation scale are fp32;
//   * static activation codes saturate at +-127 / +-448;
//   * NaN: fp8 keeps it; an int8 code of NaN is 0 (PTX cvt.rni.sat.s8.f32) and the per-token scale
//     of its row is NaN, so the NaN reaches the layer's output. Weights must be finite, and their
//     int8 scales must fit an fp16 (max|w| <= 65504 * 127): else InputError.
#pragma once

#include <cstdint>
#include <vector>

#include "common/dtype.h"

namespace rooflm::ref {

inline constexpr int kInt8Max = 127;

// Which elements of a weight [rows, cols] share a scale.
enum class WeightScaleGrain : uint8_t {
  tensor,   // one scale
  channel,  // one per row (output channel)
  group,    // one per (row, group of group_size consecutive columns)
};

// A quantised weight [rows, cols].
struct QuantizedWeight {
  DType dtype = DType::i8;  // i8 | f8e4m3
  WeightScaleGrain grain = WeightScaleGrain::channel;
  int64_t rows = 0, cols = 0;
  int64_t group_size = 0;      // group: columns per scale (divides cols); else 0
  std::vector<uint8_t> codes;  // [rows, cols]: int8 two's complement, or e4m3 bits
  std::vector<float> scales;   // tensor [1]; channel [rows]; group [rows, cols / group_size]
};

// Rows [row_begin, row_begin + rows) of a QuantizedWeight (what a node of a packed weight reads).
struct QuantWeightView {
  DType dtype = DType::i8;
  WeightScaleGrain grain = WeightScaleGrain::channel;
  int64_t rows = 0, cols = 0, group_size = 0;
  const uint8_t* codes = nullptr;  // [rows, cols]
  const float* scales = nullptr;   // as QuantizedWeight::scales, from the first row of the view

  float scale(int64_t row, int64_t col) const;
  float value(int64_t row, int64_t col) const;  // code * scale
};

QuantWeightView view_rows(const QuantizedWeight& w, int64_t row_begin, int64_t rows);
inline QuantWeightView view_all(const QuantizedWeight& w) { return view_rows(w, 0, w.rows); }

// Scales of one row for `grain` (tensor: 0, the one scale is shared).
int64_t scales_per_row(WeightScaleGrain grain, int64_t cols, int64_t group_size);

// Quantises w [rows, cols] to `dtype` (i8 | f8e4m3) with `grain` scales (group_size for group).
// Throws InputError when group_size does not divide cols, a weight is not finite, or an int8 scale
// overflows fp16.
QuantizedWeight quantize_weight(const float* w, int64_t rows, int64_t cols, DType dtype, WeightScaleGrain grain,
                                int64_t group_size = 0);

// out [cols] = row `row` of w dequantised: code * scale in fp32 (exact for int8 codes with their fp16
// scales: 8 x 11 significant bits).
void dequantize_row(const QuantWeightView& w, int64_t row, float* out);
// out [rows, cols] = w dequantised.
void dequantize_weight(const QuantWeightView& w, float* out);

// Code of x / scale in `dtype` (the shared rounding and saturation of every quantiser).
uint8_t quantize_value(DType dtype, float x, float scale);
// code -> value / scale: the int8 integer or the e4m3 value.
float code_value(DType dtype, uint8_t code);
// 127 (i8) or 448 (f8e4m3).
float quant_max(DType dtype);

// Dynamic, per token: for each row t of x [n, cols], scales[t] = max|x_t| / quant_max (fp32) and
// codes[t, :] = x_t / scales[t].                       x: [n, cols]; codes: [n, cols]; scales: [n]
void quantize_activations_per_token(DType dtype, const float* x, int64_t n, int64_t cols, uint8_t* codes,
                                    float* scales);
// Static, per tensor: codes = x / scale with a given scale > 0, saturating.   x, codes: [count]
void quantize_activations_static(DType dtype, const float* x, int64_t count, float scale, uint8_t* codes);

}  // namespace rooflm::ref
