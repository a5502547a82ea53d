// Device-side quantisation rules, the same as the CPU reference's (reference/quant.h), so that a
// GPU quantiser given the same fp32 value and scale writes the same code:
//   * codes come from x / scale (an IEEE fp32 division, __fdiv_rn), scale 0 gives code 0;
//   * int8: rounded to nearest, ties to even, clamped to [-127, 127]; NaN gives 0;
//   * e4m3: the __NV_SATFINITE conversion (round to nearest even, +-448 beyond, NaN kept);
//   * a block's max |x| is NaN when any element is NaN (nan_max), so a NaN input reaches its scale;
//   * int8 weight scales are fp16: fp16(amax / 127), raised to the next fp16 when 127.5 * scale <
//     amax (the product is exact in fp32: 11 x 8 significant bits).
// And the widening of codes to exact fp16 code values (int8 integers and e4m3 values are both fp16
// subsets), for kernels that keep the fp16 tensor-core path and apply the scales elsewhere.
#pragma once

#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>

#include "common/dtype.h"

namespace rooflm {

inline constexpr float kQuantMaxInt8 = 127.0f;
inline constexpr float kQuantMaxFp8 = 448.0f;

template <bool FP8>
__device__ __forceinline__ constexpr float quant_max() {
  return FP8 ? kQuantMaxFp8 : kQuantMaxInt8;
}

// max(a, b) that keeps a NaN of either.
__device__ __forceinline__ float nan_max(float a, float b) { return (isnan(a) || a > b) ? a : b; }

__device__ __forceinline__ float warp_nan_max(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

__device__ __forceinline__ uint8_t quantize_int8(float x, float scale) {
  if (scale == 0.0f) return 0;
  const float q = __fdiv_rn(x, scale);
  if (isnan(q)) return 0;
  return uint8_t(int8_t(__float2int_rn(fminf(fmaxf(q, -kQuantMaxInt8), kQuantMaxInt8))));
}

__device__ __forceinline__ uint8_t quantize_e4m3(float x, float scale) {
  if (scale == 0.0f) return 0;
  return uint8_t(__nv_cvt_float_to_fp8(__fdiv_rn(x, scale), __NV_SATFINITE, __NV_E4M3));
}

template <bool FP8>
__device__ __forceinline__ uint8_t quantize_code(float x, float scale) {
  return FP8 ? quantize_e4m3(x, scale) : quantize_int8(x, scale);
}

// The stored int8 weight scale of a block with max |w| = amax (inf when it overflows fp16: the
// caller reports it).
__device__ __forceinline__ __half int8_weight_scale(float amax) {
  if (amax == 0.0f) return __float2half_rn(0.0f);
  const __half h = __float2half_rn(__fdiv_rn(amax, kQuantMaxInt8));
  if (__half2float(h) * 127.5f < amax) return __ushort_as_half(uint16_t(__half_as_ushort(h) + 1));
  return h;
}

// Four int8 codes of a 32-bit word as exact floats without the conversion unit: each code, biased
// to unsigned (x ^ 0x80), becomes the low mantissa byte of 2^23 (PRMT), and 2^23 + 128 is subtracted.
__device__ __forceinline__ void int8x4_to_float(uint32_t word, float (&f)[4]) {
  const uint32_t biased = word ^ 0x80808080u;
#pragma unroll
  for (int k = 0; k < 4; ++k) f[k] = __int_as_float(int(__byte_perm(biased, 0x4B000000u, 0x7650u + k))) - 8388736.0f;
}

// Four e4m3 codes of a 32-bit word as floats (two e4m3x2 -> f16x2 conversions).
__device__ __forceinline__ void e4m3x4_to_float(uint32_t word, float (&f)[4]) {
#pragma unroll
  for (int k = 0; k < 2; ++k) {
    const __half2_raw raw = __nv_cvt_fp8x2_to_halfraw2(__nv_fp8x2_storage_t(word >> (16 * k)), __NV_E4M3);
    const float2 pair = __half22float2(*reinterpret_cast<const __half2*>(&raw));
    f[2 * k] = pair.x;
    f[2 * k + 1] = pair.y;
  }
}

template <bool FP8>
__device__ __forceinline__ void codes4_to_float(uint32_t word, float (&f)[4]) {
  if constexpr (FP8)
    e4m3x4_to_float(word, f);
  else
    int8x4_to_float(word, f);
}

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

}  // namespace rooflm
