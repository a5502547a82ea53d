// CPU reference of causal GQA attention over a KV cache (sliding window optional) and of the
// KV-cache write, fp32 arithmetic. The cache is a KvView with host storage and host block tables
// (either layout), fp32 or quantised (int8 / fp8 e4m3 codes with per-(token, kv head) fp32 scales,
// common/kv_view.h):
//   * kv_write quantises each (token, kv head) row of head_dim values with reference/quant.h's
//     quantize_activations_per_token (scale = max|row| / 127 or / 448, RNE, zero row -> scale 0);
//   * attention dequantises each key / value row it reads (code_value(code) * scale in fp32) and
//     then does exactly the fp32 math, so a quantised cache gives the result of an fp32 cache
//     holding the dequantised values, bit for bit.
//
// Sliding window: a query at position p sees the keys at positions [p - window + 1, p] (window
// keys, itself included); window 0 sees [0, p]. This is Hugging Face transformers' convention
// (masking_utils.py: sliding_window_overlay keeps kv_idx > q_idx - sliding_window, and
// sliding_window_causal_mask_function ANDs it with causal kv_idx <= q_idx).
#pragma once

#include <cstdint>

#include "common/kv_view.h"
#include "common/thread_pool.h"

namespace rooflm::ref {

// Sequence i owns query rows [q_begin[i], q_begin[i+1]) at positions [kv_len[i] - q_len, kv_len[i])
// and reads block-table row i of kv; the query at position p attends to cache positions
// [first, p], first = window > 0 ? max(0, p - window + 1) : 0, with softmax scale 1/sqrt(head_dim);
// query head h reads kv head h / (n_heads / n_kv_heads). Scores, softmax and the weighted sum are
// fp32 (scores with the fixed-order dot of reference/dot.h). Parallel over (query row, head) on
// `pool` (nullptr: serial).
//   q, out: [q_begin[n_seqs], n_heads, head_dim]; q_begin: [n_seqs + 1]; kv_len: [n_seqs]
void attention(ThreadPool* pool, const float* q, float* out, const int32_t* q_begin, const int32_t* kv_len,
               int64_t n_seqs, int64_t n_heads, int64_t layer, int64_t window, const KvView& kv);

// Stores token t's K and V at (block-table row seq_row[t], position[t]) of `layer`: the values, or
// (quantised cache) their codes and one scale per kv head.
//   k, v: [n_tokens, n_kv_heads, head_dim]; seq_row, position: [n_tokens]
void kv_write(const float* k, const float* v, const int32_t* seq_row, const int32_t* position, int64_t n_tokens,
              int64_t layer, const KvView& kv);

}  // namespace rooflm::ref
