// fp32 building blocks of the CPU reference forward pass. Every output element is computed by one
// thread in a fixed order, so results are bit-identical whatever the thread count or batching.
#pragma once

#include <cstdint>

#include "common/thread_pool.h"
#include "common/kv_view.h"

namespace rooflm::cpu {

// y[t, :] = x[t, :] * rsqrt(mean(x[t, :]^2) + eps) * w     x, y: [n_tokens, dim]; w: [dim]
void rmsnorm(const float* x, const float* w, float* y, int64_t n_tokens, int64_t dim, double eps);

// y = x W^T                                  x: [n, in]; w: [out, in]; y: [n, out]
void matmul_xwt(ThreadPool& pool, const float* x, const float* w, float* y, int64_t n, int64_t in,
                int64_t out);

// Rotary embedding, Hugging Face "rotate_half" convention: dims i and i + head_dim/2 form a pair.
// x: [n_tokens, n_heads, head_dim], rotated in place at positions pos[t].
void rope(float* x, const int64_t* pos, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
          double theta);

// a[i] = silu(g[i]) * u[i]
void silu_mul(const float* g, const float* u, float* a, int64_t n);

// Causal GQA attention of each token over its sequence's cached keys/values [0, pos[t]].
// q: [n_tokens, n_heads, head_dim]; out: same; row[t] is the token's block-table row in kv.
void attention(ThreadPool& pool, const float* q, float* out, const int64_t* pos, const int32_t* row,
               int64_t n_tokens, int64_t n_heads, int64_t layer, const KvView& kv);

}  // namespace rooflm::cpu
