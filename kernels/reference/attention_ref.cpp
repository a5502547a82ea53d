// CPU reference of attention and of the KV-cache write (see attention_ref.h).
#include "kernels/reference/attention_ref.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace rooflm::ref {

void attention(const float* q, float* out, const int32_t* q_begin, const int32_t* kv_len, int64_t n_seqs,
               int64_t n_heads, int64_t layer, const KvView& kv) {
  const int64_t hd = kv.geom.head_dim;
  const int64_t group = n_heads / kv.geom.n_kv_heads;
  const double scale = 1.0 / std::sqrt(double(hd));
  const auto* k = static_cast<const float*>(kv.storage.k);
  const auto* v = static_cast<const float*>(kv.storage.v);
  std::vector<double> scores, acc(static_cast<size_t>(hd));
  for (int64_t seq = 0; seq < n_seqs; ++seq) {
    const int64_t q_len = q_begin[seq + 1] - q_begin[seq];
    for (int64_t j = 0; j < q_len; ++j) {
      const int64_t t = q_begin[seq] + j;
      const int64_t n_ctx = kv_len[seq] - q_len + j + 1;
      scores.resize(size_t(n_ctx));
      for (int64_t h = 0; h < n_heads; ++h) {
        const float* qv = q + (t * n_heads + h) * hd;
        const int64_t kv_off = (h / group) * hd;
        double m = -INFINITY;
        for (int64_t pos = 0; pos < n_ctx; ++pos) {
          const float* kr = k + kv.offset(int32_t(seq), layer, pos) + kv_off;
          double dot = 0;
          for (int64_t d = 0; d < hd; ++d) dot += double(qv[d]) * kr[d];
          scores[size_t(pos)] = dot * scale;
          m = std::max(m, scores[size_t(pos)]);
        }
        double denom = 0;
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t pos = 0; pos < n_ctx; ++pos) {
          const double p = std::exp(scores[size_t(pos)] - m);
          denom += p;
          const float* vr = v + kv.offset(int32_t(seq), layer, pos) + kv_off;
          for (int64_t d = 0; d < hd; ++d) acc[size_t(d)] += p * vr[d];
        }
        float* o = out + (t * n_heads + h) * hd;
        for (int64_t d = 0; d < hd; ++d) o[d] = float(acc[size_t(d)] / denom);
      }
    }
  }
}

void kv_write(const float* k, const float* v, const int32_t* seq_row, const int32_t* position, int64_t n_tokens,
              int64_t layer, const KvView& kv) {
  const int64_t row_elems = kv.geom.n_kv_heads * kv.geom.head_dim;
  auto* k_cache = static_cast<float*>(kv.storage.k);
  auto* v_cache = static_cast<float*>(kv.storage.v);
  for (int64_t t = 0; t < n_tokens; ++t) {
    const int64_t off = kv.offset(seq_row[t], layer, position[t]);
    std::copy(k + t * row_elems, k + (t + 1) * row_elems, k_cache + off);
    std::copy(v + t * row_elems, v + (t + 1) * row_elems, v_cache + off);
  }
}

}  // namespace rooflm::ref
