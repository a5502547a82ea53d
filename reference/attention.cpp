// CPU reference of attention and of the KV-cache write (see attention.h).
#include "reference/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "reference/dot.h"
#include "reference/parallel.h"

namespace rooflm::ref {

void attention(ThreadPool* pool, const float* q, float* out, const int32_t* q_begin, const int32_t* kv_len,
               int64_t n_seqs, int64_t n_heads, int64_t layer, int64_t window, const KvView& kv) {
  const int64_t hd = kv.geom.head_dim;
  const int64_t group = n_heads / kv.geom.n_kv_heads;
  const float scale = float(1.0 / std::sqrt(double(hd)));
  const auto* k_base = static_cast<const float*>(kv.storage.k);
  const auto* v_base = static_cast<const float*>(kv.storage.v);
  const int64_t n_rows = q_begin[n_seqs];
  std::vector<int32_t> seq_of(static_cast<size_t>(n_rows));   // [n_rows]: the sequence of each query row
  std::vector<int64_t> pos_of(static_cast<size_t>(n_rows));  // [n_rows]: its position
  for (int64_t s = 0; s < n_seqs; ++s) {
    const int64_t q_len = q_begin[s + 1] - q_begin[s];
    for (int64_t j = 0; j < q_len; ++j) {
      seq_of[size_t(q_begin[s] + j)] = int32_t(s);
      pos_of[size_t(q_begin[s] + j)] = kv_len[s] - q_len + j;
    }
  }
  detail::parallel_for(pool, n_rows * n_heads, [&](int64_t i0, int64_t i1) {
    std::vector<float> scores;
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t t = i / n_heads, h = i % n_heads, kvh = h / group;
      const int32_t row = seq_of[size_t(t)];
      const int64_t last = pos_of[size_t(t)];
      const int64_t first = window > 0 ? std::max<int64_t>(0, last - window + 1) : 0;
      const int64_t n_ctx = last - first + 1;
      const float* qv = q + (t * n_heads + h) * hd;
      scores.resize(size_t(n_ctx));
      float m = -INFINITY;
      for (int64_t j = 0; j < n_ctx; ++j) {
        scores[size_t(j)] = detail::dot(qv, k_base + kv.offset(row, layer, first + j) + kvh * hd, hd) * scale;
        m = std::max(m, scores[size_t(j)]);
      }
      float denom = 0;
      for (int64_t j = 0; j < n_ctx; ++j) denom += (scores[size_t(j)] = std::exp(scores[size_t(j)] - m));
      float* o = out + (t * n_heads + h) * hd;
      std::fill(o, o + hd, 0.0f);
      for (int64_t j = 0; j < n_ctx; ++j) {
        const float p = scores[size_t(j)] / denom;
        const float* vv = v_base + kv.offset(row, layer, first + j) + kvh * hd;
        for (int64_t d = 0; d < hd; ++d) o[d] += p * vv[d];
      }
    }
  });
}

void kv_write(const float* k, const float* v, const int32_t* seq_row, const int32_t* position, int64_t n_tokens,
              int64_t layer, const KvView& kv) {
  const int64_t row_elems = kv.geom.n_kv_heads * kv.geom.head_dim;
  auto* k_cache = static_cast<float*>(kv.storage.k);
  auto* v_cache = static_cast<float*>(kv.storage.v);
  for (int64_t t = 0; t < n_tokens; ++t) {
    const int64_t off = kv.offset(seq_row[t], layer, position[t]);
    std::copy_n(k + t * row_elems, row_elems, k_cache + off);
    std::copy_n(v + t * row_elems, row_elems, v_cache + off);
  }
}

}  // namespace rooflm::ref
