// Device side of quantised activation rows (quant_rows.h): one block quantises one row whose
// values a functor produces 8 at a time (a norm's output, silu(gate) * up, fp16 rows), so each
// producing kernel computes its values in fp32 and quantises them in its epilogue.
#pragma once

#include <cstdint>

#include "kernels/activation/vec8.cuh"
#include "kernels/quant/quant_math.cuh"

namespace rooflm {

inline constexpr int kQuantRowMaxThreads = 1024;

// Max over the block (NaN kept); every thread gets it.
__device__ __forceinline__ float block_nan_max(float v) {
  __shared__ float warp_max[kQuantRowMaxThreads / 32];
  v = warp_nan_max(v);
  if (threadIdx.x % 32 == 0) warp_max[threadIdx.x / 32] = v;
  __syncthreads();
  float m = 0.0f;
  for (int k = 0; k < int(blockDim.x / 32); ++k) m = nan_max(warp_max[k], m);
  return m;
}

template <bool FP8>
__device__ __forceinline__ void store_codes8(uint8_t* p, const Float8& f, float scale) {
  uint32_t out[2] = {0, 0};
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i / 4] |= uint32_t(quantize_code<FP8>(f.v[i], scale)) << (8 * (i % 4));
  *reinterpret_cast<uint2*>(p) = make_uint2(out[0], out[1]);
}

// Groups of a row each thread keeps in registers between the max and the store (Float8 each): up to
// kCachedGroups * blockDim.x groups are produced once; a longer row produces them again.
inline constexpr int kCachedGroups = 4;

// The block's row of `groups` x 8 values -> codes_row [groups * 8] and *scale_slot. static_scale > 0
// quantises with it; 0 with the row's max |value| / quant_max. values(g) is evaluated once per group
// when the row fits the register cache (groups <= kCachedGroups * blockDim.x), else twice.
template <bool FP8, class Values>
__device__ __forceinline__ void quantize_row_block(const Values& values, int groups, uint8_t* codes_row,
                                                   float* scale_slot, float static_scale) {
  const int stride = int(blockDim.x);
  const bool cached = groups <= kCachedGroups * stride;
  Float8 cache[kCachedGroups];
  float scale = static_scale;
  if (cached) {
    float m = 0.0f;
#pragma unroll
    for (int k = 0; k < kCachedGroups; ++k) {
      const int g = int(threadIdx.x) + k * stride;
      if (g < groups) {
        cache[k] = values(g);
#pragma unroll
        for (int i = 0; i < 8; ++i) m = nan_max(fabsf(cache[k].v[i]), m);
      }
    }
    if (scale == 0.0f) scale = __fdiv_rn(block_nan_max(m), quant_max<FP8>());
    if (threadIdx.x == 0) *scale_slot = scale;
#pragma unroll
    for (int k = 0; k < kCachedGroups; ++k) {
      const int g = int(threadIdx.x) + k * stride;
      if (g < groups) store_codes8<FP8>(codes_row + g * 8, cache[k], scale);
    }
    return;
  }
  if (scale == 0.0f) {
    float m = 0.0f;
    for (int g = threadIdx.x; g < groups; g += stride) {
      const Float8 v = values(g);
#pragma unroll
      for (int i = 0; i < 8; ++i) m = nan_max(fabsf(v.v[i]), m);
    }
    scale = __fdiv_rn(block_nan_max(m), quant_max<FP8>());
  }
  if (threadIdx.x == 0) *scale_slot = scale;
  for (int g = threadIdx.x; g < groups; g += stride) store_codes8<FP8>(codes_row + g * 8, values(g), scale);
}

}  // namespace rooflm
