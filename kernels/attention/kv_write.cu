// kv_write_f16 and rope_kv_write_f16: store this step's K,V in the KV cache at each token's
// (block-table row, position), through the same accessors the attention kernels read with.
//   kv_write:       one thread per 16-byte unit of a token's K (and the same unit of V).
//   rope_kv_write:  one block per token; a thread rotates 8 rotate_half pairs (dims i and
//                   i + head_dim/2, 16 bytes from each half) of one Q head (in place) or K head (into
//                   the cache), then V is copied. cos/sin of position * inv_freq[i] in fp32 (the
//                   model's table, rope scaling included).
#include <string>

#include "common/error.h"
#include "kernels/attention/attention.h"
#include "kernels/attention/dispatch.cuh"
#include "kernels/attention/kv_accessor.cuh"
#include "kernels/attention/rope_rotate.cuh"
#include "kernels/common/cuda_check.h"

namespace rooflm::attn {
namespace {

template <class Kv>
__global__ void kv_write_kernel(const __half* __restrict__ k,            // [n_tokens, n_kv_heads, head_dim]
                                const __half* __restrict__ v,            // [n_tokens, n_kv_heads, head_dim]
                                const int32_t* __restrict__ seq_row,     // [n_tokens]
                                const int32_t* __restrict__ position,    // [n_tokens]
                                int n_tokens, int layer, KvDeviceView kv) {
  const int units_per_token = kv.n_kv_heads * kv.head_dim / 8;
  const int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= int64_t(n_tokens) * units_per_token) return;
  const int t = int(idx / units_per_token), unit = int(idx % units_per_token);
  const int64_t dst = Kv::bind(kv, seq_row[t], layer).token(position[t]) + unit * 8;
  *reinterpret_cast<uint4*>(kv.k16() + dst) = reinterpret_cast<const uint4*>(k)[idx];
  *reinterpret_cast<uint4*>(kv.v16() + dst) = reinterpret_cast<const uint4*>(v)[idx];
}

template <class Kv>
__global__ void rope_kv_write_kernel(__half* __restrict__ q,                 // [n_tokens, n_heads, head_dim]
                                     const __half* __restrict__ k,           // [n_tokens, n_kv_heads, head_dim]
                                     const __half* __restrict__ v,           // [n_tokens, n_kv_heads, head_dim]
                                     const int32_t* __restrict__ seq_row,    // [n_tokens]
                                     const int32_t* __restrict__ position,   // [n_tokens]
                                     const float* __restrict__ inv_freq,     // [head_dim / 2]
                                     int n_heads, int layer, KvDeviceView kv) {
  const int t = blockIdx.x;
  const int d = kv.head_dim, half = d / 2, n_kv = kv.n_kv_heads;
  const int pos = position[t];
  const int64_t cache_row = Kv::bind(kv, seq_row[t], layer).token(pos);
  const int groups_per_head = half / 8;
  for (int item = threadIdx.x; item < (n_heads + n_kv) * groups_per_head; item += blockDim.x) {
    const int head = item / groups_per_head, i0 = (item % groups_per_head) * 8;
    const bool is_q = head < n_heads;
    const __half* src = is_q ? q + (int64_t(t) * n_heads + head) * d : k + (int64_t(t) * n_kv + head - n_heads) * d;
    uint4 lo = *reinterpret_cast<const uint4*>(src + i0);
    uint4 hi = *reinterpret_cast<const uint4*>(src + half + i0);
    rotate8(lo, hi, i0, float(pos), inv_freq);
    __half* dst = is_q ? q + (int64_t(t) * n_heads + head) * d : kv.k16() + cache_row + (head - n_heads) * d;
    *reinterpret_cast<uint4*>(dst + i0) = lo;
    *reinterpret_cast<uint4*>(dst + half + i0) = hi;
  }
  for (int unit = threadIdx.x; unit < n_kv * d / 8; unit += blockDim.x)
    *reinterpret_cast<uint4*>(kv.v16() + cache_row + unit * 8) =
        reinterpret_cast<const uint4*>(v + int64_t(t) * n_kv * d)[unit];
}

void check_supported(const char* who, const KvDeviceView& kv) {
  if (!kv_write_supported(kv.head_dim))
    throw InputError(std::string(who) + ": unsupported head_dim: " + std::to_string(kv.head_dim) +
                     " (needs a multiple of 16)");
  require_kv_view_supported(kv, who);
}

}  // namespace

bool kv_write_supported(int32_t head_dim) { return head_dim > 0 && head_dim % 16 == 0; }

void require_inv_freq_aligned(const float* inv_freq, const char* who) {
  if (inv_freq == nullptr || reinterpret_cast<uintptr_t>(inv_freq) % 8 != 0)
    throw InputError(std::string(who) + ": inv_freq must be a device table [head_dim / 2], 8-byte aligned");
}

void kv_write_f16(const __half* k, const __half* v, const KvWriteTokens& tokens, int32_t layer,
                  const KvDeviceView& kv, cudaStream_t stream) {
  check_supported("kv_write_f16", kv);
  if (tokens.n_tokens == 0) return;
  const int64_t units = int64_t(tokens.n_tokens) * kv.n_kv_heads * kv.head_dim / 8;
  ROOFLM_DISPATCH_KV_LAYOUT(kv.layout, Kv, [&] {
    kv_write_kernel<Kv><<<unsigned((units + 255) / 256), 256, 0, stream>>>(k, v, tokens.seq_row, tokens.position,
                                                                           tokens.n_tokens, layer, kv);
    ROOFLM_CUDA_CHECK(cudaGetLastError());
  });
}

void rope_kv_write_f16(__half* q, const __half* k, const __half* v, int32_t n_heads, const float* inv_freq,
                       const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream) {
  check_supported("rope_kv_write_f16", kv);
  require_inv_freq_aligned(inv_freq, "rope_kv_write_f16");
  if (tokens.n_tokens == 0) return;
  ROOFLM_DISPATCH_KV_LAYOUT(kv.layout, Kv, [&] {
    rope_kv_write_kernel<Kv><<<unsigned(tokens.n_tokens), 128, 0, stream>>>(q, k, v, tokens.seq_row, tokens.position,
                                                                            inv_freq, n_heads, layer, kv);
    ROOFLM_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace rooflm::attn
