// RoPE on Q and K in place (see rope_f16.h). One block per token: its threads first compute the
// token's cos/sin table [head_dim/2] from inv_freq into shared memory, then each thread rotates 8 pairs of one
// head (16-byte loads of x[i..i+8) and x[half+i..half+i+8)).
#include "kernels/rope/rope_f16.h"

#include <string>

#include "common/error.h"
#include "kernels/activation/vec8.cuh"
#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

constexpr int kThreads = 128;
constexpr int kMaxHalf = 256;  // head_dim <= 512

__global__ void __launch_bounds__(kThreads)
    rope_kernel(__half* __restrict__ q,                // [n, n_heads, head_dim]
                __half* __restrict__ k,                // [n, n_kv_heads, head_dim]
                const int32_t* __restrict__ positions,  // [n]
                const float* __restrict__ inv_freq,     // [head_dim / 2]
                int n_heads, int n_kv_heads, int head_dim) {
  __shared__ float cos_table[kMaxHalf], sin_table[kMaxHalf];
  const int t = blockIdx.x, half = head_dim / 2;
  const double position = double(positions[t]);
  for (int i = threadIdx.x; i < half; i += kThreads) {
    const double angle = position * double(inv_freq[i]);
    double s, c;
    sincos(angle, &s, &c);
    cos_table[i] = float(c);
    sin_table[i] = float(s);
  }
  __syncthreads();

  const int groups_per_head = half / 8;
  for (int task = threadIdx.x; task < (n_heads + n_kv_heads) * groups_per_head; task += kThreads) {
    const int head = task / groups_per_head, i = (task % groups_per_head) * 8;
    __half* v = head < n_heads ? q + (size_t(t) * n_heads + head) * head_dim
                               : k + (size_t(t) * n_kv_heads + (head - n_heads)) * head_dim;
    const Float8 x1 = load_f16x8(v + i), x2 = load_f16x8(v + half + i);
    Float8 y1, y2;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float c = cos_table[i + j], s = sin_table[i + j];
      y1.v[j] = x1.v[j] * c - x2.v[j] * s;
      y2.v[j] = x2.v[j] * c + x1.v[j] * s;
    }
    store_f16x8(v + i, y1);
    store_f16x8(v + half + i, y2);
  }
}

}  // namespace

bool rope_f16_supported(int64_t head_dim) { return head_dim > 0 && head_dim % 16 == 0 && head_dim / 2 <= kMaxHalf; }

void rope_f16(__half* q, __half* k, const int32_t* positions, int64_t n, int64_t n_heads, int64_t n_kv_heads,
              int64_t head_dim, const float* inv_freq, cudaStream_t stream) {
  ROOFLM_CHECK(rope_f16_supported(head_dim), "unsupported rope head_dim: " + std::to_string(head_dim));
  ROOFLM_CHECK(n >= 0 && n <= INT32_MAX && n_heads > 0 && n_kv_heads > 0 && (n_heads + n_kv_heads) <= INT32_MAX,
               "rope shape n=" + std::to_string(n) + " n_heads=" + std::to_string(n_heads) +
                   " n_kv_heads=" + std::to_string(n_kv_heads));
  ROOFLM_CHECK(inv_freq != nullptr, "rope needs its inv_freq table");
  ROOFLM_CHECK(reinterpret_cast<uintptr_t>(q) % 16 == 0 && reinterpret_cast<uintptr_t>(k) % 16 == 0,
               "rope needs 16-byte aligned q and k");
  if (n == 0) return;
  rope_kernel<<<unsigned(n), kThreads, 0, stream>>>(q, k, positions, inv_freq, int(n_heads), int(n_kv_heads),
                                                    int(head_dim));
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace rooflm
