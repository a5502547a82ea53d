// Rotary embedding on 16-byte vectors (Hugging Face rotate_half: dims i and i + head_dim/2 pair
// up), shared by the kernels that fuse RoPE with the KV-cache write.
#pragma once

#include <cuda_fp16.h>

namespace rooflm::attn {

// Rotates 8 pairs: lo holds dims [i0, i0 + 8), hi dims [i0 + half, i0 + half + 8), by the angles
// position * inv_freq[i] (inv_freq: [head_dim / 2], the model's fp32 table), cos/sin in fp32.
__device__ __forceinline__ void rotate8(uint4& lo, uint4& hi, int i0, float position,
                                        const float* __restrict__ inv_freq) {
  __half2* l2 = reinterpret_cast<__half2*>(&lo);
  __half2* h2 = reinterpret_cast<__half2*>(&hi);
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const float2 x1 = __half22float2(l2[e]), x2 = __half22float2(h2[e]);
    float s0, c0, s1, c1;
    const float2 freq = __ldg(reinterpret_cast<const float2*>(inv_freq + i0) + e);  // i0 is a multiple of 8
    sincosf(position * freq.x, &s0, &c0);
    sincosf(position * freq.y, &s1, &c1);
    l2[e] = __floats2half2_rn(x1.x * c0 - x2.x * s0, x1.y * c1 - x2.y * s1);
    h2[e] = __floats2half2_rn(x2.x * c0 + x1.x * s0, x2.y * c1 + x1.y * s1);
  }
}

}  // namespace rooflm::attn
