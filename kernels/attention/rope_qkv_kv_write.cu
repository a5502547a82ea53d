// rope_qkv_kv_write_f16: the fused set's RoPE + KV write reading the fused QKV GEMM's output
// directly. Row t of qkv is [q heads | k heads | v heads]; the kernel writes rotated q heads to a
// contiguous q [n_tokens, n_heads, head_dim] (what the attention kernels read), rotated k heads and
// v heads into the cache. A thread rotates 8 rotate_half pairs (dims i and i + head_dim/2, 16 bytes
// from each half) with cos/sin of position * inv_freq[i] in fp32 (the model's table, rope scaling
// included), and copies 16 bytes of v.
// Grid: tokens x slices of kThreads work items, one item per thread, so a decode step's single token
// spreads over several SMs (one block per token ran 4 items per thread on one SM: 7.8 us per layer
// on the H100, now latency of one item).
#include <algorithm>
#include <string>

#include "common/error.h"
#include "kernels/attention/attention.h"
#include "kernels/attention/dispatch.cuh"
#include "kernels/attention/kv_accessor.cuh"
#include "kernels/attention/rope_rotate.cuh"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"

namespace rooflm::attn {
namespace {

template <class Kv>
__global__ void rope_qkv_kv_write_kernel(const __half* __restrict__ qkv,        // [n_tokens, (n_heads + 2*n_kv) * head_dim]
                                         __half* __restrict__ q,                // [n_tokens, n_heads, head_dim]
                                         const int32_t* __restrict__ seq_row,   // [n_tokens]
                                         const int32_t* __restrict__ position,  // [n_tokens]
                                         const float* __restrict__ inv_freq,    // [head_dim / 2]
                                         int n_heads, int layer, KvDeviceView kv) {
  pdl_launch_dependents();  // the attention kernel may launch (it waits for us before reading q and the cache)
  pdl_wait();               // qkv is the QKV GEMV's output
  const int t = blockIdx.x;
  const int d = kv.head_dim, half = d / 2, n_kv = kv.n_kv_heads;
  const int64_t row = int64_t(t) * (n_heads + 2 * n_kv) * d;
  const int pos = position[t];
  const int64_t cache_row = Kv::bind(kv, seq_row[t], layer).token(pos);
  const int groups_per_head = half / 8;
  const int item = blockIdx.y * blockDim.x + threadIdx.x;  // a rotation item and a v unit
  if (item < (n_heads + n_kv) * groups_per_head) {
    const int head = item / groups_per_head, i0 = (item % groups_per_head) * 8;
    const __half* src = qkv + row + int64_t(head) * d;  // q heads then k heads
    uint4 lo = *reinterpret_cast<const uint4*>(src + i0);
    uint4 hi = *reinterpret_cast<const uint4*>(src + half + i0);
    rotate8(lo, hi, i0, float(pos), inv_freq);
    __half* dst = head < n_heads ? q + (int64_t(t) * n_heads + head) * d : kv.k16() + cache_row + int64_t(head - n_heads) * d;
    *reinterpret_cast<uint4*>(dst + i0) = lo;
    *reinterpret_cast<uint4*>(dst + half + i0) = hi;
  }
  if (item < n_kv * d / 8) {
    const uint4* v = reinterpret_cast<const uint4*>(qkv + row + int64_t(n_heads + n_kv) * d);
    *reinterpret_cast<uint4*>(kv.v16() + cache_row + item * 8) = v[item];
  }
}

constexpr int kThreads = 64;

}  // namespace

void rope_qkv_kv_write_f16(const __half* qkv, __half* q, int32_t n_heads, const float* inv_freq,
                           const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream) {
  if (!kv_write_supported(kv.head_dim))
    throw InputError("rope_qkv_kv_write_f16: unsupported head_dim: " + std::to_string(kv.head_dim) +
                     " (needs a multiple of 16)");
  require_kv_view_supported(kv, "rope_qkv_kv_write_f16");
  require_inv_freq_aligned(inv_freq, "rope_qkv_kv_write_f16");
  if (tokens.n_tokens == 0) return;
  const int items = std::max((n_heads + kv.n_kv_heads) * (kv.head_dim / 16), kv.n_kv_heads * kv.head_dim / 8);
  const dim3 grid(unsigned(tokens.n_tokens), unsigned((items + kThreads - 1) / kThreads));
  ROOFLM_DISPATCH_KV_LAYOUT(kv.layout, Kv, [&] {
    launch_with_pdl(rope_qkv_kv_write_kernel<Kv>, grid, kThreads, 0, stream, qkv, q, tokens.seq_row, tokens.position,
                    inv_freq, n_heads, layer, kv);
  });
}

}  // namespace rooflm::attn
