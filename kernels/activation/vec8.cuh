// Device helpers for the elementwise kernels (activation, norm, rope, embedding) and SiLU: 8 elements at a
// time as one 16-byte fp16 access or two 16-byte fp32 accesses, converted to 8 floats.
// Pointers must be 16-byte aligned.
#pragma once

#include <cuda_fp16.h>

namespace rooflm {

// SiLU in fp32, as every kernel applying it computes it (silu_mul, the GEMV's silu_mul epilogue).
__device__ __forceinline__ float silu(float g) { return g / (1.0f + expf(-g)); }

struct Float8 {
  float v[8];
};

__device__ __forceinline__ Float8 load_f32x8(const float* p) {
  const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
  return {{a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w}};
}

__device__ __forceinline__ void store_f32x8(float* p, const Float8& f) {
  reinterpret_cast<float4*>(p)[0] = make_float4(f.v[0], f.v[1], f.v[2], f.v[3]);
  reinterpret_cast<float4*>(p)[1] = make_float4(f.v[4], f.v[5], f.v[6], f.v[7]);
}

__device__ __forceinline__ Float8 load_f16x8(const __half* p) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  const __half2* h = reinterpret_cast<const __half2*>(&raw);
  Float8 f;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 pair = __half22float2(h[i]);
    f.v[2 * i] = pair.x;
    f.v[2 * i + 1] = pair.y;
  }
  return f;
}

__device__ __forceinline__ void store_f16x8(__half* p, const Float8& f) {
  uint4 raw;
  __half2* h = reinterpret_cast<__half2*>(&raw);
#pragma unroll
  for (int i = 0; i < 4; ++i) h[i] = __floats2half2_rn(f.v[2 * i], f.v[2 * i + 1]);
  *reinterpret_cast<uint4*>(p) = raw;
}

}  // namespace rooflm
