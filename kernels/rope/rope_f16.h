// rope_f16: rotary position embedding applied in place to Q and K in one kernel, Hugging Face
// rotate_half convention (dims i and i + head_dim/2 pair up, rotated by position * inv_freq[i]),
// each token at its own position (any mix of prefill chunks and decode tokens).
// inv_freq is the model's table (common/rope_table.h rope_inv_freq(), rope scaling included)
// uploaded once as fp32: its rounding (2^-24 relative) moves an angle by up to position * 2^-24 rad.
// Angles and their cos/sin are computed in double once per (token, i), then applied in fp32.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

// True when head_dim is a multiple of 16 (16-byte vectors on each half) and at most 512.
bool rope_f16_supported(int64_t head_dim);

// q: [n, n_heads, head_dim]; k: [n, n_kv_heads, head_dim]; positions: [n] int32; inv_freq: [head_dim / 2]
// (all device memory)
void rope_f16(__half* q, __half* k, const int32_t* positions, int64_t n, int64_t n_heads, int64_t n_kv_heads,
              int64_t head_dim, const float* inv_freq, cudaStream_t stream);

}  // namespace rooflm
