// attn_naive_f16: attention that materialises S in global memory (the "naive" kernel set).
// Per sequence (one after another, reusing the scratch), over its keys [key0, kv_len): key0 = 0, or
// with a sliding window the first query's window start max(0, kv_len - q_len - window + 1), so
// n_keys = kv_len - key0 and no key left of every window is read:
//   [paged or quantised] gather the sequence's K and V into contiguous fp16 scratch (a quantised
//                    cache dequantised on the way: code * scale)    [n_keys, n_kv_heads, head_dim]
//   S = Q K^T        cublasGemmBatchedEx over heads, fp16 in, fp32 S   [n_heads, q_len, ld_s]
//   P = softmax(scale * S, causal + window)   one block per (query row, head),  fp16 P, same layout
//   O = P V          cublasGemmBatchedEx over heads, fp16 out straight into out
// The pointer arrays of both GEMMs are built on the device (one small kernel for all sequences), so
// each head's K/V pointer names its kv head (GQA) and a contiguous cache is read in place through
// its slot, lda = n_kv_heads * head_dim.
// Scratch: 6 pointer arrays [n_seqs, n_heads] + S (fp32) + P (fp16) sized for the largest sequence
// (n_heads * max_q_len * ld_s, ld_s = max_keys rounded up to 8; max_keys = max_kv_len, or with a
// window at most max_q_len + window - 1) + the gather copies (paged or quantised, max_keys tokens).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "common/error.h"
#include "kernels/attention/attention.h"
#include "kernels/attention/dispatch.cuh"
#include "kernels/attention/kv_accessor.cuh"
#include "kernels/attention/kv_quant.cuh"
#include "kernels/common/cuda_check.h"

namespace rooflm::attn {
namespace {

constexpr int kSoftmaxThreads = 256;

__host__ __device__ int64_t leading_dim_s(int64_t n_keys) { return (n_keys + 7) / 8 * 8; }  // 16-byte aligned fp16 rows
size_t align_up(size_t x) { return (x + 255) & ~size_t(255); }

// The first key a sequence's S covers: 0, or with a window the first query's window start.
__host__ __device__ int first_key(int q_len, int kv_len, int window) {
  const int first_query = kv_len - q_len;
  return window > 0 && first_query - window + 1 > 0 ? first_query - window + 1 : 0;
}

// Keys of the largest S: every sequence's n_keys = kv_len - first_key <= min(kv_len, q_len + window - 1).
int64_t max_keys(const AttnBatch& batch) {
  if (batch.window <= 0) return batch.max_kv_len;
  return std::min<int64_t>(batch.max_kv_len, int64_t(batch.max_q_len) + batch.window - 1);
}

// A paged or quantised cache is copied into contiguous fp16 scratch first; a contiguous fp16 one is
// read in place.
__host__ __device__ bool gathered(const KvDeviceView& kv) { return kv.layout == KvLayout::paged || kv.quantized(); }

struct NaiveScratch {
  const void** qk_a;  // [n_seqs, n_heads] K of the head's kv head
  const void** qk_b;  // [n_seqs, n_heads] Q
  void** qk_c;        // [n_seqs, n_heads] S
  const void** pv_a;  // [n_seqs, n_heads] V
  const void** pv_b;  // [n_seqs, n_heads] P
  void** pv_c;        // [n_seqs, n_heads] out
  float* s;           // [n_heads, q_len, ld_s]
  __half* p;          // [n_heads, q_len, ld_s]
  __half* k_gather;   // [max_kv_len, n_kv_heads, head_dim] (paged or quantised)
  __half* v_gather;   // [max_kv_len, n_kv_heads, head_dim] (paged or quantised)
  size_t bytes;
};

NaiveScratch layout_scratch(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv, void* base) {
  NaiveScratch sc{};
  char* p = static_cast<char*>(base);
  size_t at = 0;
  auto take = [&](size_t bytes) {
    char* here = p ? p + at : nullptr;
    at += align_up(bytes);
    return here;
  };
  const size_t ptrs = size_t(batch.n_seqs) * n_heads * sizeof(void*);
  sc.qk_a = reinterpret_cast<const void**>(take(ptrs));
  sc.qk_b = reinterpret_cast<const void**>(take(ptrs));
  sc.qk_c = reinterpret_cast<void**>(take(ptrs));
  sc.pv_a = reinterpret_cast<const void**>(take(ptrs));
  sc.pv_b = reinterpret_cast<const void**>(take(ptrs));
  sc.pv_c = reinterpret_cast<void**>(take(ptrs));
  const size_t s_elems = size_t(n_heads) * batch.max_q_len * leading_dim_s(max_keys(batch));
  sc.s = reinterpret_cast<float*>(take(s_elems * sizeof(float)));
  sc.p = reinterpret_cast<__half*>(take(s_elems * sizeof(__half)));
  if (gathered(kv)) {
    const size_t gather = size_t(max_keys(batch)) * kv.n_kv_heads * kv.head_dim * sizeof(__half);
    sc.k_gather = reinterpret_cast<__half*>(take(gather));
    sc.v_gather = reinterpret_cast<__half*>(take(gather));
  }
  sc.bytes = at;
  return sc;
}

// One block per sequence, one thread per head.
__global__ void naive_pointers_kernel(const __half* q,  // [n_tokens, n_heads, head_dim]
                                      __half* out,      // [n_tokens, n_heads, head_dim]
                                      NaiveScratch sc, const int32_t* __restrict__ q_begin,  // [n_seqs + 1]
                                      const int32_t* __restrict__ kv_lens,                   // [n_seqs]
                                      int n_heads, int group, int layer, int window, KvDeviceView kv) {
  const int seq = blockIdx.x;
  const int q_len = q_begin[seq + 1] - q_begin[seq];
  const int key0 = first_key(q_len, kv_lens[seq], window);
  const int64_t ld_s = leading_dim_s(kv_lens[seq] - key0);
  const int head_dim = kv.head_dim;
  const __half* k_seq = sc.k_gather;  // the gather copy starts at key0
  const __half* v_seq = sc.v_gather;
  if (!gathered(kv)) {
    const int64_t base = ContiguousKv::bind(kv, seq, layer).token(key0);
    k_seq = kv.k16() + base;
    v_seq = kv.v16() + base;
  }
  for (int h = threadIdx.x; h < n_heads; h += blockDim.x) {
    const int64_t i = int64_t(seq) * n_heads + h;
    const int64_t kv_off = int64_t(h / group) * head_dim;
    const int64_t q_off = (int64_t(q_begin[seq]) * n_heads + h) * head_dim;
    sc.qk_a[i] = k_seq + kv_off;
    sc.qk_b[i] = q + q_off;
    sc.qk_c[i] = sc.s + h * q_len * ld_s;
    sc.pv_a[i] = v_seq + kv_off;
    sc.pv_b[i] = sc.p + h * q_len * ld_s;
    sc.pv_c[i] = out + q_off;
  }
}

// Copies sequence `seq`'s K and V at positions [key0, key0 + n_keys) out of the cache into fp16
// rows, 8 elements a thread (a quantised cache: code * scale, the scale of the element's head).
template <class Kv, DType kDtype>
__global__ void naive_gather_kernel(__half* __restrict__ k_out,  // [n_keys, n_kv_heads, head_dim]
                                    __half* __restrict__ v_out,  // [n_keys, n_kv_heads, head_dim]
                                    KvDeviceView kv, int seq, int layer, int key0, int n_keys) {
  const int units_per_token = kv.n_kv_heads * kv.head_dim / 8;
  const int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= int64_t(n_keys) * units_per_token) return;
  const int pos = key0 + int(idx / units_per_token), unit = int(idx % units_per_token);
  const int64_t src = Kv::bind(kv, seq, layer).token(pos) + unit * 8;
  if constexpr (kKvQuantized<kDtype>) {
    const int64_t scale = src / kv.head_dim;  // (token, head) of the unit's first element
    const auto* k = static_cast<const uint8_t*>(kv.k);
    const auto* v = static_cast<const uint8_t*>(kv.v);
    reinterpret_cast<uint4*>(k_out)[idx] =
        dequant8_f16<kDtype>(*reinterpret_cast<const uint2*>(k + src), kv.k_scale[scale]);
    reinterpret_cast<uint4*>(v_out)[idx] =
        dequant8_f16<kDtype>(*reinterpret_cast<const uint2*>(v + src), kv.v_scale[scale]);
  } else {
    reinterpret_cast<uint4*>(k_out)[idx] = *reinterpret_cast<const uint4*>(kv.k16() + src);
    reinterpret_cast<uint4*>(v_out)[idx] = *reinterpret_cast<const uint4*>(kv.v16() + src);
  }
}

__device__ float block_reduce(float x, bool is_max, float* shared) {  // shared: [kSoftmaxThreads / 32]
  for (int offset = 16; offset > 0; offset /= 2) {
    const float y = __shfl_xor_sync(0xffffffffu, x, offset);
    x = is_max ? fmaxf(x, y) : x + y;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) shared[warp] = x;
  __syncthreads();
  x = shared[0];
  for (int w = 1; w < kSoftmaxThreads / 32; ++w) x = is_max ? fmaxf(x, shared[w]) : x + shared[w];
  return x;
}

// Row (query t, head h): P[key] = exp(scale * (S[key] - max)) / sum for the visible keys, else 0.
// Keys are indexed from the sequence's key0; query t sits at key index n_keys - q_len + t and sees
// [t_pos - window + 1, t_pos] (window 0: [0, t_pos]).
__global__ void __launch_bounds__(kSoftmaxThreads)
    naive_softmax_kernel(const float* __restrict__ s,  // [n_heads, q_len, ld_s]
                         __half* __restrict__ p,       // [n_heads, q_len, ld_s]
                         int q_len, int n_keys, int64_t ld_s, int window, float scale) {
  __shared__ float shared[kSoftmaxThreads / 32];
  const int t = blockIdx.x, h = blockIdx.y;
  const int64_t row = (int64_t(h) * q_len + t) * ld_s;
  const int t_pos = n_keys - q_len + t;
  const int visible_end = t_pos + 1;
  const int visible_begin = window > 0 ? max(0, t_pos - window + 1) : 0;
  float m = -FLT_MAX;
  for (int key = visible_begin + threadIdx.x; key < visible_end; key += kSoftmaxThreads) m = fmaxf(m, s[row + key]);
  m = block_reduce(m, true, shared);
  float sum = 0.0f;
  for (int key = visible_begin + threadIdx.x; key < visible_end; key += kSoftmaxThreads)
    sum += expf(scale * (s[row + key] - m));
  sum = block_reduce(sum, false, shared);
  const float inv = 1.0f / sum;
  for (int key = threadIdx.x; key < n_keys; key += kSoftmaxThreads) {
    const bool visible = key >= visible_begin && key < visible_end;
    p[row + key] = __float2half_rn(visible ? expf(scale * (s[row + key] - m)) * inv : 0.0f);
  }
}

}  // namespace

bool attn_naive_supported(int32_t head_dim, int32_t n_heads, int32_t n_kv_heads) {
  return head_dim > 0 && head_dim % 8 == 0 && n_kv_heads > 0 && n_heads % n_kv_heads == 0;
}

size_t attn_naive_scratch_bytes(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv) {
  return layout_scratch(batch, n_heads, kv, nullptr).bytes;
}

void attn_naive_f16(const __half* q, __half* out, const AttnBatch& batch, int32_t n_heads, int32_t layer,
                    const KvDeviceView& kv, void* scratch, cublasHandle_t cublas, cudaStream_t stream) {
  if (!attn_naive_supported(kv.head_dim, n_heads, kv.n_kv_heads))
    throw InputError("attn_naive_f16: unsupported head_dim " + std::to_string(kv.head_dim) + ", n_heads " +
                     std::to_string(n_heads) + ", n_kv_heads " + std::to_string(kv.n_kv_heads));
  require_kv_view_supported(kv, "attn_naive_f16");
  if (batch.window < 0)
    throw InputError("attn_naive_f16: window must be >= 0 (0: none), got " + std::to_string(batch.window));
  if (batch.n_seqs == 0) return;
  ROOFLM_CHECK(batch.q_begin_host && batch.kv_len_host, "attn_naive_f16 needs the host copies of the batch");
  ROOFLM_CHECK(scratch != nullptr && cublas != nullptr, "attn_naive_f16 needs its scratch and a cuBLAS handle");
  const NaiveScratch sc = layout_scratch(batch, n_heads, kv, scratch);
  const int group = n_heads / kv.n_kv_heads;
  const int head_dim = kv.head_dim;
  naive_pointers_kernel<<<batch.n_seqs, 128, 0, stream>>>(q, out, sc, batch.q_begin, batch.kv_len, n_heads, group,
                                                         layer, batch.window, kv);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  ROOFLM_CUBLAS_CHECK(cublasSetStream(cublas, stream));
  const float one = 1.0f, zero = 0.0f;
  const float scale = float(1.0 / std::sqrt(double(head_dim)));
  const int ld_kv = kv.n_kv_heads * head_dim, ld_q = n_heads * head_dim;
  for (int seq = 0; seq < batch.n_seqs; ++seq) {
    const int q_len = batch.q_begin_host[seq + 1] - batch.q_begin_host[seq];
    const int kv_len = batch.kv_len_host[seq];
    if (q_len == 0) continue;
    const int key0 = first_key(q_len, kv_len, batch.window);
    const int n_keys = kv_len - key0;
    const int ld_s = int(leading_dim_s(n_keys));
    if (gathered(kv)) {
      const int64_t units = int64_t(n_keys) * ld_kv / 8;
      ROOFLM_DISPATCH_KV_LAYOUT(kv.layout, Kv, [&] {
        ROOFLM_DISPATCH_KV_DTYPE(kv.dtype, kDtype, [&] {
          naive_gather_kernel<Kv, kDtype><<<unsigned((units + 255) / 256), 256, 0, stream>>>(
              sc.k_gather, sc.v_gather, kv, seq, layer, key0, n_keys);
          ROOFLM_CUDA_CHECK(cudaGetLastError());
        });
      });
    }
    const int64_t at = int64_t(seq) * n_heads;
    // S^T (column-major [n_keys, q_len], i.e. row-major S [q_len, n_keys]) = K Q^T
    ROOFLM_CUBLAS_CHECK(cublasGemmBatchedEx(cublas, CUBLAS_OP_T, CUBLAS_OP_N, n_keys, q_len, head_dim, &one,
                                            sc.qk_a + at, CUDA_R_16F, ld_kv, sc.qk_b + at, CUDA_R_16F, ld_q, &zero,
                                            sc.qk_c + at, CUDA_R_32F, ld_s, n_heads, CUBLAS_COMPUTE_32F,
                                            CUBLAS_GEMM_DEFAULT));
    naive_softmax_kernel<<<dim3(unsigned(q_len), unsigned(n_heads)), kSoftmaxThreads, 0, stream>>>(
        sc.s, sc.p, q_len, n_keys, ld_s, batch.window, scale);
    ROOFLM_CUDA_CHECK(cudaGetLastError());
    // O^T (column-major [head_dim, q_len], row stride n_heads * head_dim) = V^T P^T
    ROOFLM_CUBLAS_CHECK(cublasGemmBatchedEx(cublas, CUBLAS_OP_N, CUBLAS_OP_N, head_dim, q_len, n_keys, &one,
                                            sc.pv_a + at, CUDA_R_16F, ld_kv, sc.pv_b + at, CUDA_R_16F, ld_s, &zero,
                                            sc.pv_c + at, CUDA_R_16F, ld_q, n_heads, CUBLAS_COMPUTE_32F,
                                            CUBLAS_GEMM_DEFAULT));
  }
}

}  // namespace rooflm::attn
