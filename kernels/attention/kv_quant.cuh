// Device side of the quantised KV cache (common/kv_view.h: one-byte codes in the fp16 layout, one
// fp32 scale per (token, kv head) at element offset / head_dim):
//   * the attention kernels' element-type template parameter (kDtype: f16 values, i8 or f8e4m3
//     codes) and ROOFLM_DISPATCH_KV_DTYPE, the runtime -> template switch;
//   * widen4_f16 / widen8_f16 (kernels/quant/quant_math.cuh) turn codes into exact fp16 code values,
//     so a kernel keeps its fp16 tensor-core path and applies the scales to what it computes from
//     them (S columns by the K scales, P columns by the V scales);
//   * dequant8_f16: 8 codes -> 8 fp16 values code * scale (the fp32 product, rounded once).
#pragma once

#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <string>

#include "common/dtype.h"
#include "common/error.h"
#include "kernels/quant/quant_math.cuh"

namespace rooflm::attn {

template <DType kDtype>
inline constexpr bool kKvQuantized = kDtype == DType::i8 || kDtype == DType::f8e4m3;

// 8 codes -> 8 fp16 values fp16(code * scale).
template <DType kDtype>
__device__ __forceinline__ uint4 dequant8_f16(uint2 codes, float scale) {
  constexpr bool kFp8 = kDtype == DType::f8e4m3;
  float f[8];
  codes4_to_float<kFp8>(codes.x, reinterpret_cast<float(&)[4]>(f[0]));
  codes4_to_float<kFp8>(codes.y, reinterpret_cast<float(&)[4]>(f[4]));
  uint4 out;
  uint32_t* w = &out.x;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const __half2 h = __floats2half2_rn(f[2 * i] * scale, f[2 * i + 1] * scale);
    w[i] = *reinterpret_cast<const uint32_t*>(&h);
  }
  return out;
}

}  // namespace rooflm::attn

// DType -> constexpr kDtype (f16, i8, f8e4m3), else InputError naming the dtype.
#define ROOFLM_DISPATCH_KV_DTYPE(dtype, kDtype, ...)                                                      \
  [&] {                                                                                                   \
    switch (dtype) {                                                                                      \
      case ::rooflm::DType::f16: {                                                                        \
        constexpr ::rooflm::DType kDtype = ::rooflm::DType::f16;                                          \
        return __VA_ARGS__();                                                                             \
      }                                                                                                   \
      case ::rooflm::DType::i8: {                                                                         \
        constexpr ::rooflm::DType kDtype = ::rooflm::DType::i8;                                           \
        return __VA_ARGS__();                                                                             \
      }                                                                                                   \
      case ::rooflm::DType::f8e4m3: {                                                                     \
        constexpr ::rooflm::DType kDtype = ::rooflm::DType::f8e4m3;                                       \
        return __VA_ARGS__();                                                                             \
      }                                                                                                   \
      default:                                                                                            \
        throw ::rooflm::InputError("attention: no kernel reads a KV cache of " +                        \
                                   std::string(::rooflm::dtype_name(dtype)));                            \
    }                                                                                                     \
  }()
