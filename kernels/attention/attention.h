// Public host API of the attention kernels (fp32 accumulation, fp16 out; the cache holds fp16 values
// or int8 / fp8 e4m3 codes with per-(token, head) fp32 scales, common/kv_view.h):
//   kv_write / rope_kv_write     store this step's K,V (RoPE fused into Q,K on the second) in the cache
//   kv_write_quant / rope_qkv_kv_write_quant   the same into a quantised cache (codes + scales)
//   attn_prefill_flash_f16       FlashAttention-style varlen causal prefill (wgmma, sm_90a)
//   attn_decode_splitk_f16       split-K flash-decoding, one query token per sequence
//   attn_naive_f16               S = QK^T in global memory (cuBLAS), softmax kernel, P V (cuBLAS)
// Every attention entry point has a `_supported` check and a `_scratch_bytes` query, and is
// selectable by name through attn_kernel_by_name(). Launch functions never synchronize.
#pragma once

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/kv_view.h"

namespace rooflm::attn {

// The device-side mirror of KvView: same geometry and storage layout, device block tables.
//   contiguous: block_size = max_seq_len, num_blocks = number of slots, table row = {slot}.
//   paged:      table row i lists sequence i's blocks; -1 marks unused entries.
// A quantised cache (dtype i8 / f8e4m3) stores one-byte codes in the same element layout and the
// fp32 scale of (token, kv head) at its element offset / head_dim in k_scale / v_scale.
struct KvDeviceView {
  KvLayout layout = KvLayout::contiguous;
  DType dtype = DType::f16;                // f16 values, or i8 / f8e4m3 codes
  int32_t n_layers = 0;
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t block_size = 0;
  int32_t num_blocks = 0;
  void* k = nullptr;                       // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
  void* v = nullptr;                       // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
  float* k_scale = nullptr;                // quantised: [n_layers, num_blocks, block_size, n_kv_heads]
  float* v_scale = nullptr;                // quantised: same
  const int32_t* block_tables = nullptr;   // [n_seqs, max_blocks_per_seq] device memory
  int32_t max_blocks_per_seq = 0;
  int32_t n_seqs = 0;

  __host__ __device__ bool quantized() const { return dtype == DType::i8 || dtype == DType::f8e4m3; }
  __host__ __device__ __half* k16() const { return static_cast<__half*>(k); }
  __host__ __device__ __half* v16() const { return static_cast<__half*>(v); }
};

// Builds the device view from a KvView whose storage pointers are device memory (fp16 values, or
// int8 / fp8 codes and their scales) and a device copy of its block tables. Throws InputError if the
// dtype or the layout is not supported.
KvDeviceView make_kv_device_view(const KvView& view, const int32_t* device_block_tables);

// The kernels index paged blocks by shift and mask: a paged block_size must be a power of two.
bool kv_view_supported(const KvDeviceView& kv);
// Throws InputError naming `who` and the block size when !kv_view_supported(kv).
void require_kv_view_supported(const KvDeviceView& kv, const char* who);

// A varlen batch. Sequence i owns query rows [q_begin[i], q_begin[i+1]) of Q and out; they sit at
// positions [kv_len[i] - q_len_i, kv_len[i]) and attend causally to cache positions
// [first(p), p], first(p) = window > 0 ? max(0, p - window + 1) : 0 (sliding window: the last
// `window` positions, the query's own included, as Hugging Face's sliding_window_overlay); sequence
// i reads block-table row i. kv_len counts this step's tokens (written before attention). Cache
// positions left of every query's window are never read (their blocks may hold anything).
struct AttnBatch {
  int32_t n_seqs = 0;
  int32_t n_tokens = 0;     // q_begin[n_seqs]
  int32_t max_q_len = 0;    // host-known maxima: grid sizes and split-K choice
  int32_t max_kv_len = 0;
  int32_t window = 0;       // sliding window (Mistral's sliding_window); 0: none
  const int32_t* q_begin = nullptr;       // [n_seqs + 1] device
  const int32_t* kv_len = nullptr;        // [n_seqs] device
  const int32_t* q_begin_host = nullptr;  // [n_seqs + 1] host copy (naive sizes its cuBLAS calls from it)
  const int32_t* kv_len_host = nullptr;   // [n_seqs] host copy
};

// Per-token destination of this step's K,V: block-table row and position of each token.
struct KvWriteTokens {
  int32_t n_tokens = 0;
  const int32_t* seq_row = nullptr;   // [n_tokens] device
  const int32_t* position = nullptr;  // [n_tokens] device
};

// ---- KV-cache write ------------------------------------------------------------------------------
// Stores k, v (already rotated) into the cache at each token's (seq row, position) of `layer`.
void kv_write_f16(const __half* k,  // [n_tokens, n_kv_heads, head_dim]
                  const __half* v,  // [n_tokens, n_kv_heads, head_dim]
                  const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream);

// Fused RoPE (Hugging Face rotate_half, angle position * inv_freq[i]; inv_freq is the model's table,
// common/rope_table.h, uploaded as fp32) and KV write: rotates q in place, rotates k on the way into
// the cache (k itself is left unchanged), copies v into the cache.
void rope_kv_write_f16(__half* q,               // [n_tokens, n_heads, head_dim] rotated in place
                       const __half* k,         // [n_tokens, n_kv_heads, head_dim]
                       const __half* v,         // [n_tokens, n_kv_heads, head_dim]
                       int32_t n_heads,
                       const float* inv_freq,   // [head_dim / 2] device, 8-byte aligned
                       const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream);

// The fused set's variant reading the fused QKV GEMM output: row t of qkv is [q heads | k heads |
// v heads]; rotated q goes to a contiguous q, rotated k and v into the cache (one kernel).
void rope_qkv_kv_write_f16(const __half* qkv,      // [n_tokens, (n_heads + 2 * n_kv_heads) * head_dim]
                           __half* q,              // [n_tokens, n_heads, head_dim] out
                           int32_t n_heads,
                           const float* inv_freq,  // [head_dim / 2] device, 8-byte aligned
                           const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream);

// Quantised cache: k and v are quantised per (token, kv head) row from their fp32 values (the
// rotated ones for k), scale = max|row| / 127 (int8) or / 448 (fp8), codes as reference/quant.h's
// quantize_activations_per_token: the CPU reference writes the same codes from the same values.
// head_dim 64 or 128 (kv_write_quant_supported).
void kv_write_quant(const __half* k,  // [n_tokens, n_kv_heads, head_dim]
                    const __half* v,  // [n_tokens, n_kv_heads, head_dim]
                    const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv, cudaStream_t stream);
void rope_qkv_kv_write_quant(const __half* qkv,      // [n_tokens, (n_heads + 2 * n_kv_heads) * head_dim]
                             __half* q,              // [n_tokens, n_heads, head_dim] out
                             int32_t n_heads,
                             const float* inv_freq,  // [head_dim / 2] device, 8-byte aligned
                             const KvWriteTokens& tokens, int32_t layer, const KvDeviceView& kv,
                             cudaStream_t stream);

bool kv_write_supported(int32_t head_dim);
bool kv_write_quant_supported(int32_t head_dim);
// Throws InputError naming `who` unless inv_freq is a non-null, 8-byte aligned pointer.
void require_inv_freq_aligned(const float* inv_freq, const char* who);

// ---- Attention -----------------------------------------------------------------------------------
// Softmax scale is 1/sqrt(head_dim). GQA: query head h reads kv head h / (n_heads / n_kv_heads).

// Prefill (any q_len, any cached prefix). head_dim 64 or 128; needs an sm_90 device.
bool attn_prefill_flash_supported(int32_t head_dim, int32_t n_heads, int32_t n_kv_heads);
size_t attn_prefill_flash_scratch_bytes(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv);
void attn_prefill_flash_f16(const __half* q,  // [n_tokens, n_heads, head_dim]
                            __half* out,      // [n_tokens, n_heads, head_dim]
                            const AttnBatch& batch, int32_t n_heads, int32_t layer, const KvDeviceView& kv,
                            void* scratch, cudaStream_t stream);

// Decode: every sequence has exactly one query token (max_q_len == 1). The context (with a window:
// its last `window` positions) is cut into n_splits chunks (0: chosen from the context length and
// the SM count), each block writes a partial (max, sum, acc) to the scratch workspace and a merge
// kernel combines them by log-sum-exp.
bool attn_decode_splitk_supported(int32_t head_dim, int32_t n_heads, int32_t n_kv_heads, int32_t max_q_len);
int32_t attn_decode_splitk_num_splits(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv);
size_t attn_decode_splitk_scratch_bytes(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv,
                                        int32_t n_splits = 0);
void attn_decode_splitk_f16(const __half* q,  // [n_seqs, n_heads, head_dim]
                            __half* out,      // [n_seqs, n_heads, head_dim]
                            const AttnBatch& batch, int32_t n_heads, int32_t layer, const KvDeviceView& kv,
                            void* scratch, cudaStream_t stream, int32_t n_splits = 0);

// Naive: per sequence, S = Q K^T (fp32, [n_heads, q_len, n_keys] in scratch; n_keys = kv_len, or
// with a window the keys from the first query's window start on) by one cuBLAS pointer-array
// batched GEMM over heads (GQA: each head's pointer names its kv head), a scale + causal (+ window)
// mask + softmax kernel writing P (fp16), then O = P V by a second batched GEMM.
// Contiguous caches are read in place (lda = n_kv_heads * head_dim); a paged cache is first
// gathered, one sequence at a time, into a contiguous scratch copy. Sequences run one after another
// and reuse the S/P scratch. Needs the host copies in `batch`.
bool attn_naive_supported(int32_t head_dim, int32_t n_heads, int32_t n_kv_heads);
size_t attn_naive_scratch_bytes(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv);
void attn_naive_f16(const __half* q,  // [n_tokens, n_heads, head_dim]
                    __half* out,      // [n_tokens, n_heads, head_dim]
                    const AttnBatch& batch, int32_t n_heads, int32_t layer, const KvDeviceView& kv,
                    void* scratch, cublasHandle_t cublas, cudaStream_t stream);

// ---- Selection by name ---------------------------------------------------------------------------
enum class AttnKernel { prefill_flash, decode_splitk, naive };

// "attn_prefill_flash_f16", "attn_decode_splitk_f16", "attn_naive_f16".
const char* attn_kernel_name(AttnKernel kernel);
// Throws InputError naming the unknown name.
AttnKernel attn_kernel_by_name(const std::string& name);
bool attn_supported(AttnKernel kernel, const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv);
size_t attn_scratch_bytes(AttnKernel kernel, const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv);
// cublas is used by the naive kernel only (may be null for the others).
void attn_launch(AttnKernel kernel, const __half* q, __half* out, const AttnBatch& batch, int32_t n_heads,
                 int32_t layer, const KvDeviceView& kv, void* scratch, cublasHandle_t cublas,
                 cudaStream_t stream);

}  // namespace rooflm::attn
