// CPU reference ops. The dot product keeps 8 independent partial sums so GCC vectorises it
// without -ffast-math (the summation order is fixed, hence deterministic).
#include "engine/backend/cpu/cpu_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace rooflm::cpu {
namespace {

float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

void rmsnorm(const float* x, const float* w, float* y, int64_t n_tokens, int64_t dim, double eps) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* xr = x + t * dim;
    double ss = 0;
    for (int64_t i = 0; i < dim; ++i) ss += double(xr[i]) * xr[i];
    const float inv = float(1.0 / std::sqrt(ss / double(dim) + eps));
    for (int64_t i = 0; i < dim; ++i) y[t * dim + i] = xr[i] * inv * w[i];
  }
}

void matmul_xwt(ThreadPool& pool, const float* x, const float* w, float* y, int64_t n, int64_t in,
                int64_t out) {
  // Parallel over output features: each weight row is streamed once for all n tokens.
  pool.parallel_for(out, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const float* wr = w + o * in;
      for (int64_t t = 0; t < n; ++t) y[t * out + o] = dot(x + t * in, wr, in);
    }
  });
}

void rope(float* x, const int64_t* pos, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
          double theta) {
  const int64_t half = head_dim / 2;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      const double inv_freq = std::pow(theta, -2.0 * double(i) / double(head_dim));
      const double angle = double(pos[t]) * inv_freq;
      const float c = float(std::cos(angle)), s = float(std::sin(angle));
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + (t * n_heads + h) * head_dim;
        const float x1 = v[i], x2 = v[i + half];
        v[i] = x1 * c - x2 * s;
        v[i + half] = x2 * c + x1 * s;
      }
    }
  }
}

void silu_mul(const float* g, const float* u, float* a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void attention(ThreadPool& pool, const float* q, float* out, const int64_t* pos, const int32_t* row,
               int64_t n_tokens, int64_t n_heads, int64_t layer, const KvView& kv) {
  const int64_t hd = kv.geom.head_dim;
  const int64_t group = n_heads / kv.geom.n_kv_heads;
  const float scale = float(1.0 / std::sqrt(double(hd)));
  const auto* k_base = static_cast<const float*>(kv.storage.k);
  const auto* v_base = static_cast<const float*>(kv.storage.v);
  pool.parallel_for(n_tokens * n_heads, [&](int64_t i0, int64_t i1) {
    std::vector<float> scores;
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t t = i / n_heads, h = i % n_heads, kvh = h / group;
      const int64_t n_ctx = pos[t] + 1;
      const float* qv = q + (t * n_heads + h) * hd;
      scores.resize(size_t(n_ctx));
      float m = -INFINITY;
      for (int64_t j = 0; j < n_ctx; ++j) {
        scores[j] = dot(qv, k_base + kv.offset(row[t], layer, j) + kvh * hd, hd) * scale;
        m = std::max(m, scores[j]);
      }
      float denom = 0;
      for (int64_t j = 0; j < n_ctx; ++j) denom += (scores[j] = std::exp(scores[j] - m));
      float* o = out + (t * n_heads + h) * hd;
      std::fill(o, o + hd, 0.0f);
      for (int64_t j = 0; j < n_ctx; ++j) {
        const float p = scores[j] / denom;
        const float* vv = v_base + kv.offset(row[t], layer, j) + kvh * hd;
        for (int64_t d = 0; d < hd; ++d) o[d] += p * vv[d];
      }
    }
  });
}

}  // namespace rooflm::cpu
