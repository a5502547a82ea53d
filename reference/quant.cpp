// Weight and activation quantisation, dequantisation (see quant.h).
#include "reference/quant.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/half.h"
#include "reference/fp8_e4m3.h"

namespace rooflm::ref {
namespace {

void require_quant_dtype(DType dtype) {
  ROOFLM_CHECK(dtype == DType::i8 || dtype == DType::f8e4m3, "quantised codes are int8 or fp8 e4m3");
}

// max |x| over [begin, end), NaN if any element is NaN.
float abs_max(const float* x, int64_t count) {
  float m = 0;
  for (int64_t i = 0; i < count; ++i) {
    const float a = std::fabs(x[i]);
    if (std::isnan(a) || a > m) m = a;
    if (std::isnan(m)) break;
  }
  return m;
}

// The stored int8 weight scale for a block whose max |w| is `amax` (quant.h): fp16(amax / 127),
// raised to the next fp16 when amax would be more than half a step beyond code 127.
float int8_weight_scale(float amax) {
  if (amax == 0) return 0;
  const uint16_t h = float_to_fp16(amax / float(kInt8Max));
  float scale = fp16_to_float(h);
  if (double(scale) * (kInt8Max + 0.5) < double(amax)) scale = fp16_to_float(uint16_t(h + 1));
  if (!std::isfinite(scale))
    throw InputError("int8 weight quantisation: max |w| = " + std::to_string(amax) +
                     " needs a scale beyond fp16 (max |w| <= 65504 * 127)");
  return scale;
}

}  // namespace

float quant_max(DType dtype) {
  require_quant_dtype(dtype);
  return dtype == DType::i8 ? float(kInt8Max) : kFp8E4m3Max;
}

uint8_t quantize_value(DType dtype, float x, float scale) {
  if (dtype == DType::f8e4m3) return scale == 0 ? uint8_t(0) : fp8_e4m3_encode(x / scale);
  if (scale == 0) return 0;
  const float q = x / scale;
  if (std::isnan(q)) return 0;
  return uint8_t(int8_t(std::clamp(std::nearbyint(q), -float(kInt8Max), float(kInt8Max))));
}

float code_value(DType dtype, uint8_t code) {
  return dtype == DType::i8 ? float(int8_t(code)) : fp8_e4m3_table()[code];
}

int64_t scales_per_row(WeightScaleGrain grain, int64_t cols, int64_t group_size) {
  switch (grain) {
    case WeightScaleGrain::tensor: return 0;
    case WeightScaleGrain::channel: return 1;
    case WeightScaleGrain::group: return cols / group_size;
  }
  return 0;
}

float QuantWeightView::scale(int64_t row, int64_t col) const {
  switch (grain) {
    case WeightScaleGrain::tensor: return scales[0];
    case WeightScaleGrain::channel: return scales[row];
    case WeightScaleGrain::group: return scales[row * (cols / group_size) + col / group_size];
  }
  return 0;
}

float QuantWeightView::value(int64_t row, int64_t col) const {
  return code_value(dtype, codes[row * cols + col]) * scale(row, col);
}

QuantWeightView view_rows(const QuantizedWeight& w, int64_t row_begin, int64_t rows) {
  ROOFLM_CHECK(row_begin >= 0 && rows >= 0 && row_begin + rows <= w.rows, "weight rows outside the tensor");
  return {.dtype = w.dtype,
          .grain = w.grain,
          .rows = rows,
          .cols = w.cols,
          .group_size = w.group_size,
          .codes = w.codes.data() + row_begin * w.cols,
          .scales = w.scales.data() + row_begin * scales_per_row(w.grain, w.cols, w.group_size)};
}

QuantizedWeight quantize_weight(const float* w, int64_t rows, int64_t cols, DType dtype, WeightScaleGrain grain,
                                int64_t group_size) {
  require_quant_dtype(dtype);
  QuantizedWeight q;
  q.dtype = dtype;
  q.grain = grain;
  q.rows = rows;
  q.cols = cols;
  if (grain == WeightScaleGrain::group) {
    if (group_size <= 0 || cols % group_size != 0)
      throw InputError("weight group size " + std::to_string(group_size) + " must divide the " + std::to_string(cols) +
                       " input features");
    q.group_size = group_size;
  }
  for (int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(w[i]))
      throw InputError("weight quantisation: element " + std::to_string(i) + " of a [" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "] weight is " + std::to_string(w[i]) + " (must be finite)");

  // Block maxima, then the scales.
  const int64_t per_row = scales_per_row(grain, cols, q.group_size);
  const int64_t block_cols = grain == WeightScaleGrain::group ? q.group_size : cols;
  std::vector<float> amax;
  if (grain == WeightScaleGrain::tensor) {
    amax.push_back(abs_max(w, rows * cols));
  } else {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < per_row; ++b) amax.push_back(abs_max(w + r * cols + b * block_cols, block_cols));
  }
  for (float m : amax) q.scales.push_back(dtype == DType::i8 ? int8_weight_scale(m) : m / kFp8E4m3Max);

  q.codes.resize(size_t(rows * cols));
  const QuantWeightView v = view_all(q);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) q.codes[size_t(r * cols + c)] = quantize_value(dtype, w[r * cols + c], v.scale(r, c));
  return q;
}

void dequantize_row(const QuantWeightView& w, int64_t row, float* out) {
  for (int64_t c = 0; c < w.cols; ++c) out[c] = w.value(row, c);
}

void dequantize_weight(const QuantWeightView& w, float* out) {
  for (int64_t r = 0; r < w.rows; ++r) dequantize_row(w, r, out + r * w.cols);
}

void quantize_activations_per_token(DType dtype, const float* x, int64_t n, int64_t cols, uint8_t* codes,
                                    float* scales) {
  const float qmax = quant_max(dtype);
  for (int64_t t = 0; t < n; ++t) {
    const float* row = x + t * cols;
    const float scale = abs_max(row, cols) / qmax;
    scales[t] = scale;
    for (int64_t c = 0; c < cols; ++c) codes[t * cols + c] = quantize_value(dtype, row[c], scale);
  }
}

void quantize_activations_static(DType dtype, const float* x, int64_t count, float scale, uint8_t* codes) {
  require_quant_dtype(dtype);
  ROOFLM_CHECK(scale > 0 && std::isfinite(scale), "a static activation scale is finite and > 0");
  for (int64_t i = 0; i < count; ++i) codes[i] = quantize_value(dtype, x[i], scale);
}

}  // namespace rooflm::ref
