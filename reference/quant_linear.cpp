// The quantised linear layers (see quant_linear.h).
#include "reference/quant_linear.h"

#include <string>
#include <vector>

#include "common/error.h"
#include "reference/dot.h"
#include "reference/fp8_e4m3.h"
#include "reference/parallel.h"

namespace rooflm::ref {
namespace {

//                                                          a, b: [n]
int32_t dot_s8(const int8_t* a, const int8_t* b, int64_t n) {
  int32_t acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += int32_t(a[i]) * int32_t(b[i]);
  return acc;
}

// The one scale of output channel o (tensor or channel grain: what a GEMM epilogue applies).
float channel_scale(const QuantWeightView& w, int64_t o) {
  return w.grain == WeightScaleGrain::tensor ? w.scales[0] : w.scales[o];
}

void require_epilogue_scales(const QuantWeightView& w, DType dtype, const char* layer) {
  ROOFLM_CHECK(w.dtype == dtype, std::string(layer) + " reads " + std::string(dtype_name(dtype)) + " weight codes");
  ROOFLM_CHECK(w.grain != WeightScaleGrain::group,
               std::string(layer) + " applies one scale per output channel after the reduction (no group scales)");
}

void require_int32_exact(int64_t in) {
  ROOFLM_CHECK(in <= kMaxInt8GemmInner, "int8 GEMM of " + std::to_string(in) + " inputs could overflow int32 (limit " +
                                            std::to_string(kMaxInt8GemmInner) + ")");
}

}  // namespace

void linear_w8a16(ThreadPool* pool, const float* x, const QuantWeightView& w, const float* bias, float* y, int64_t n) {
  const int64_t in = w.cols, out = w.rows;
  detail::parallel_for(pool, out, [&](int64_t o0, int64_t o1) {
    std::vector<float> row(static_cast<size_t>(in));  // [in]: weight row o dequantised
    for (int64_t o = o0; o < o1; ++o) {
      dequantize_row(w, o, row.data());
      for (int64_t t = 0; t < n; ++t) {
        const float acc = detail::dot(x + t * in, row.data(), in);
        y[t * out + o] = bias ? acc + bias[o] : acc;
      }
    }
  });
}

void gemm_s8s8_s32(ThreadPool* pool, const int8_t* x, const int8_t* w, int32_t* acc, int64_t n, int64_t in,
                   int64_t out) {
  require_int32_exact(in);
  detail::parallel_for(pool, out, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t t = 0; t < n; ++t) acc[t * out + o] = dot_s8(x + t * in, w + o * in, in);
  });
}

void linear_w8a8_int8(ThreadPool* pool, const int8_t* x_codes, ActivationScales x_scales, const QuantWeightView& w,
                      const float* bias, float* y, int64_t n) {
  require_epilogue_scales(w, DType::i8, "the W8A8 int8 linear");
  const int64_t in = w.cols, out = w.rows;
  require_int32_exact(in);
  const int8_t* w_codes = reinterpret_cast<const int8_t*>(w.codes);
  detail::parallel_for(pool, out, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const float w_scale = channel_scale(w, o);
      for (int64_t t = 0; t < n; ++t) {
        const int32_t acc = dot_s8(x_codes + t * in, w_codes + o * in, in);
        const float v = float(acc) * x_scales.of(t) * w_scale;
        y[t * out + o] = bias ? v + bias[o] : v;
      }
    }
  });
}

void linear_fp8(ThreadPool* pool, const uint8_t* x_codes, ActivationScales x_scales, const QuantWeightView& w,
                const float* bias, float* y, int64_t n) {
  require_epilogue_scales(w, DType::f8e4m3, "the FP8 linear");
  const int64_t in = w.cols, out = w.rows;
  const std::array<float, 256>& decode = fp8_e4m3_table();
  std::vector<float> xd(size_t(n * in));  // [n, in]: x decoded (unscaled)
  for (size_t i = 0; i < xd.size(); ++i) xd[i] = decode[x_codes[i]];
  detail::parallel_for(pool, out, [&](int64_t o0, int64_t o1) {
    std::vector<float> row(static_cast<size_t>(in));  // [in]: weight row o decoded (unscaled)
    for (int64_t o = o0; o < o1; ++o) {
      for (int64_t i = 0; i < in; ++i) row[size_t(i)] = decode[w.codes[o * in + i]];
      const float w_scale = channel_scale(w, o);
      for (int64_t t = 0; t < n; ++t) {
        const float v = detail::dot(xd.data() + t * in, row.data(), in) * x_scales.of(t) * w_scale;
        y[t * out + o] = bias ? v + bias[o] : v;
      }
    }
  });
}

}  // namespace rooflm::ref
