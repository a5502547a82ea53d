// Device side of the quantised KV cache (common/kv_view.h: one-byte codes in the fp16 layout, one
// fp32 scale per (token, kv head) at element offset / head_dim):
//   * the attention kernels' element-type template parameter (kDtype: f16 values, i8 or f8e4m3
//     codes) and ROOFLM_DISPATCH_KV_DTYPE, the runtime -> template switch;
//   * widen8_f16: 8 codes -> 8 fp16 holding the code values exactly (int8 integers, e4m3 values:
//     both are fp16 subsets), so a kernel keeps its fp16 tensor-core path and applies the scales to
//     what it computes from them (S columns by the K scales, P columns by the V scales);
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

// Two int8 codes (bytes `first`, first + 1 of word) as an exact fp16 pair: each code, biased to
// unsigned (x ^ 0x80), is the low mantissa byte of 1024 (fp16 0x6400), then 1024 + 128 is subtracted.
__device__ __forceinline__ uint32_t int8x2_to_half2(uint32_t biased_word, int first) {
  const uint32_t bits = __byte_perm(biased_word, 0x64646464u, first == 0 ? 0x4140u : 0x4342u);
  const __half2 h = __hsub2(*reinterpret_cast<const __half2*>(&bits), __half2half2(__ushort_as_half(0x6480)));
  return *reinterpret_cast<const uint32_t*>(&h);
}

__device__ __forceinline__ uint32_t e4m3x2_to_half2(uint32_t word, int first) {
  const __half2_raw raw = __nv_cvt_fp8x2_to_halfraw2(__nv_fp8x2_storage_t(word >> (8 * first)), __NV_E4M3);
  return uint32_t(raw.x) | (uint32_t(raw.y) << 16);
}

// 4 codes (bytes of word) -> 4 fp16 code values, exact: .x = bytes 0, 1; .y = bytes 2, 3.
template <DType kDtype>
__device__ __forceinline__ uint2 widen4_f16(uint32_t word) {
  if constexpr (kDtype == DType::f8e4m3) {
    return {e4m3x2_to_half2(word, 0), e4m3x2_to_half2(word, 2)};
  } else {
    const uint32_t x = word ^ 0x80808080u;
    return {int8x2_to_half2(x, 0), int8x2_to_half2(x, 2)};
  }
}

// 8 codes (little-endian bytes of codes.x then codes.y) -> 8 fp16 code values, exact.
template <DType kDtype>
__device__ __forceinline__ uint4 widen8_f16(uint2 codes) {
  const uint2 lo = widen4_f16<kDtype>(codes.x), hi = widen4_f16<kDtype>(codes.y);
  return {lo.x, lo.y, hi.x, hi.y};
}

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
