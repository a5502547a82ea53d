// CPU reference of causal GQA attention over a KV cache and of the KV-cache write, in double
// arithmetic on fp32 data (the GPU kernels are checked against it on the same fp16-rounded inputs).
// The cache is a KvView with fp32 storage and host block tables (either layout).
#pragma once

#include <cstdint>

#include "common/kv_view.h"

namespace rooflm::ref {

// Sequence i owns query rows [q_begin[i], q_begin[i+1]) at positions [kv_len[i] - q_len, kv_len[i])
// and reads block-table row i; a query at position p attends to cache positions [0, p] with
// softmax scale 1/sqrt(head_dim); query head h reads kv head h / (n_heads / n_kv_heads).
//   q, out: [q_begin[n_seqs], n_heads, head_dim]; q_begin: [n_seqs + 1]; kv_len: [n_seqs]
void attention(const float* q, float* out, const int32_t* q_begin, const int32_t* kv_len, int64_t n_seqs,
               int64_t n_heads, int64_t layer, const KvView& kv);

// Stores token t's K and V at (block-table row seq_row[t], position[t]) of `layer`.
//   k, v: [n_tokens, n_kv_heads, head_dim]; seq_row, position: [n_tokens]
void kv_write(const float* k, const float* v, const int32_t* seq_row, const int32_t* position, int64_t n_tokens,
              int64_t layer, const KvView& kv);

}  // namespace rooflm::ref
