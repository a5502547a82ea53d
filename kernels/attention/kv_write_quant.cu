// kv_write_quant and rope_qkv_kv_write_quant: store this step's K,V in a quantised KV cache (int8 or
// fp8 e4m3 codes, one fp32 scale per (token, kv head), common/kv_view.h).
// One warp per row of head_dim values: a q head (rope only: rotated, written fp16 to q), a k head
// (rotated with rope) or a v head. Lane l holds dims [l*E, l*E + E) and the same dims of the second
// half (E = head_dim / 64), so each rotate_half pair (i, i + head_dim/2) sits in one lane; the row's
// max |x| is a warp reduction, scale = max / 127 (448) and the codes follow kernels/quant/quant_math.cuh,
// the CPU reference's rules (reference/quant.h), from the fp32 (rotated) values.
// Grid (n_tokens, row groups of kWarps rows); the rows of a token: [q heads (rope) | k heads | v heads].
#include <string>

#include "common/error.h"
#include "kernels/attention/attention.h"
#include "kernels/attention/dispatch.cuh"
#include "kernels/attention/kv_accessor.cuh"
#include "kernels/common/cuda_check.h"
#include "kernels/quant/quant_math.cuh"

namespace rooflm::attn {
namespace {

constexpr int kWarps = 4;

template <int kHeadDim, class Kv, bool kRope, bool kFp8>
__global__ void __launch_bounds__(kWarps * 32)
    kv_write_quant_kernel(const __half* __restrict__ rows,     // rope: [n_tokens, (n_heads + 2 n_kv) * head_dim]; else k
                          const __half* __restrict__ v,        // no rope: [n_tokens, n_kv_heads, head_dim]
                          __half* __restrict__ q_out,          // rope: [n_tokens, n_heads, head_dim]
                          const int32_t* __restrict__ seq_row,   // [n_tokens]
                          const int32_t* __restrict__ position,  // [n_tokens]
                          const float* __restrict__ inv_freq,    // rope: [head_dim / 2]
                          int n_heads, int layer, KvDeviceView kv) {
  constexpr int D = kHeadDim, kHalf = D / 2, E = D / 64;
  const int t = blockIdx.x, lane = threadIdx.x % 32;
  const int n_kv = kv.n_kv_heads, n_q = kRope ? n_heads : 0;
  const int row = blockIdx.y * kWarps + threadIdx.x / 32;
  if (row >= n_q + 2 * n_kv) return;
  const __half* src = kRope        ? rows + (int64_t(t) * (n_heads + 2 * n_kv) + row) * D
                      : row < n_kv ? rows + (int64_t(t) * n_kv + row) * D
                                   : v + (int64_t(t) * n_kv + row - n_kv) * D;
  float lo[E], hi[E];
#pragma unroll
  for (int e = 0; e < E; ++e) {
    lo[e] = __half2float(src[lane * E + e]);
    hi[e] = __half2float(src[kHalf + lane * E + e]);
  }
  const int pos = position[t];
  if (kRope && row < n_q + n_kv) {  // q or k head: rotate_half, angle position * inv_freq[i]
#pragma unroll
    for (int e = 0; e < E; ++e) {
      float sn, cs;
      sincosf(float(pos) * inv_freq[lane * E + e], &sn, &cs);
      const float x1 = lo[e], x2 = hi[e];
      lo[e] = x1 * cs - x2 * sn;
      hi[e] = x2 * cs + x1 * sn;
    }
  }
  if (row < n_q) {
    __half* dst = q_out + (int64_t(t) * n_heads + row) * D;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      dst[lane * E + e] = __float2half_rn(lo[e]);
      dst[kHalf + lane * E + e] = __float2half_rn(hi[e]);
    }
    return;
  }
  const bool is_k = row < n_q + n_kv;
  const int head = is_k ? row - n_q : row - n_q - n_kv;
  float amax = 0.0f;
#pragma unroll
  for (int e = 0; e < E; ++e) amax = nan_max(amax, nan_max(fabsf(lo[e]), fabsf(hi[e])));
  amax = warp_nan_max(amax);
  const float scale = __fdiv_rn(amax, quant_max<kFp8>());
  const int64_t dst = Kv::bind(kv, seq_row[t], layer).token(pos) + int64_t(head) * D;
  uint8_t* codes = static_cast<uint8_t*>(is_k ? kv.k : kv.v) + dst;
#pragma unroll
  for (int e = 0; e < E; ++e) {
    codes[lane * E + e] = quantize_code<kFp8>(lo[e], scale);
    codes[kHalf + lane * E + e] = quantize_code<kFp8>(hi[e], scale);
  }
  if (lane == 0) (is_k ? kv.k_scale : kv.v_scale)[dst / D] = scale;
}

void check_supported(const char* who, const KvDeviceView& kv) {
  if (!kv.quantized())
    throw InputError(std::string(who) + ": the KV cache is " + std::string(dtype_name(kv.dtype)) +
                     ", not int8 or fp8 codes");
  if (!kv_write_quant_supported(kv.head_dim))
    throw InputError(std::string(who) + ": unsupported head_dim: " + std::to_string(kv.head_dim) + " (needs 64 or 128)");
  require_kv_view_supported(kv, who);
}

template <bool kRope>
void launch(const __half* rows, const __half* v, __half* q_out, int32_t n_heads, const float* inv_freq,
            const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream) {
  const int n_rows = (kRope ? n_heads : 0) + 2 * kv.n_kv_heads;
  const dim3 grid(unsigned(tokens.n_tokens), unsigned((n_rows + kWarps - 1) / kWarps));
  ROOFLM_DISPATCH_HEAD_DIM(kv.head_dim, kHeadDim, [&] {
    ROOFLM_DISPATCH_KV_LAYOUT(kv.layout, Kv, [&] {
      const bool fp8 = kv.dtype == DType::f8e4m3;
      auto* kernel = fp8 ? kv_write_quant_kernel<kHeadDim, Kv, kRope, true> : kv_write_quant_kernel<kHeadDim, Kv, kRope, false>;
      kernel<<<grid, kWarps * 32, 0, stream>>>(rows, v, q_out, tokens.seq_row, tokens.position, inv_freq, n_heads,
                                               layer, kv);
      ROOFLM_CUDA_CHECK(cudaGetLastError());
    });
  });
}

}  // namespace

bool kv_write_quant_supported(int32_t head_dim) { return head_dim == 64 || head_dim == 128; }

void kv_write_quant(const __half* k, const __half* v, const KvWriteTokens& tokens, int32_t layer,
                    const KvDeviceView& kv, cudaStream_t stream) {
  check_supported("kv_write_quant", kv);
  if (tokens.n_tokens == 0) return;
  launch<false>(k, v, nullptr, 0, nullptr, tokens, layer, kv, stream);
}

void rope_qkv_kv_write_quant(const __half* qkv, __half* q, int32_t n_heads, const float* inv_freq,
                             const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream) {
  check_supported("rope_qkv_kv_write_quant", kv);
  require_inv_freq_aligned(inv_freq, "rope_qkv_kv_write_quant");
  if (tokens.n_tokens == 0) return;
  launch<true>(qkv, nullptr, q, n_heads, inv_freq, tokens, layer, kv, stream);
}

}  // namespace rooflm::attn
