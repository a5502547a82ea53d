// CPU reference of attention and of the KV-cache write, fp32 or quantised cache (see attention.h).
#include "reference/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "reference/dot.h"
#include "reference/parallel.h"
#include "reference/quant.h"

namespace rooflm::ref {
namespace {

void require_host_kv(const KvView& kv) {
  ROOFLM_CHECK(kv.geom.dtype == DType::f32 || kv.geom.quantized(), "the reference KV cache is fp32, int8 or fp8");
  ROOFLM_CHECK(!kv.geom.quantized() || (kv.storage.k_scale != nullptr && kv.storage.v_scale != nullptr),
               "a quantised KV cache has K and V scales");
}

// The [head_dim] row at element offset `off` of K or V as fp32: a pointer into an fp32 cache, or
// the row's codes dequantised (code_value * scale, fp32) into `scratch` [head_dim].
const float* load_row(const KvGeometry& geom, const void* cache, const float* scales, int64_t off, float* scratch) {
  if (!geom.quantized()) return static_cast<const float*>(cache) + off;
  const uint8_t* codes = static_cast<const uint8_t*>(cache) + off;
  const float scale = scales[off / geom.head_dim];
  for (int64_t d = 0; d < geom.head_dim; ++d) scratch[d] = code_value(geom.dtype, codes[d]) * scale;
  return scratch;
}

}  // namespace

void attention(ThreadPool* pool, const float* q, float* out, const int32_t* q_begin, const int32_t* kv_len,
               int64_t n_seqs, int64_t n_heads, int64_t layer, int64_t window, const KvView& kv) {
  require_host_kv(kv);
  const int64_t hd = kv.geom.head_dim;
  const int64_t group = n_heads / kv.geom.n_kv_heads;
  const float scale = float(1.0 / std::sqrt(double(hd)));
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
    std::vector<float> row_scratch(static_cast<size_t>(hd));  // [head_dim]: a dequantised K or V row
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
        const float* kr = load_row(kv.geom, kv.storage.k, kv.storage.k_scale,
                                   kv.offset(row, layer, first + j) + kvh * hd, row_scratch.data());
        scores[size_t(j)] = detail::dot(qv, kr, hd) * scale;
        m = std::max(m, scores[size_t(j)]);
      }
      float denom = 0;
      for (int64_t j = 0; j < n_ctx; ++j) denom += (scores[size_t(j)] = std::exp(scores[size_t(j)] - m));
      float* o = out + (t * n_heads + h) * hd;
      std::fill(o, o + hd, 0.0f);
      for (int64_t j = 0; j < n_ctx; ++j) {
        const float p = scores[size_t(j)] / denom;
        const float* vv = load_row(kv.geom, kv.storage.v, kv.storage.v_scale,
                                   kv.offset(row, layer, first + j) + kvh * hd, row_scratch.data());
        for (int64_t d = 0; d < hd; ++d) o[d] += p * vv[d];
      }
    }
  });
}

void kv_write(const float* k, const float* v, const int32_t* seq_row, const int32_t* position, int64_t n_tokens,
              int64_t layer, const KvView& kv) {
  require_host_kv(kv);
  const int64_t n_kv_heads = kv.geom.n_kv_heads, hd = kv.geom.head_dim, row_elems = n_kv_heads * hd;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const int64_t off = kv.offset(seq_row[t], layer, position[t]);
    if (kv.geom.quantized()) {  // one scale per kv head of the token: [n_kv_heads] rows of [head_dim]
      const int64_t s_off = kv.scale_offset(seq_row[t], layer, position[t]);
      quantize_activations_per_token(kv.geom.dtype, k + t * row_elems, n_kv_heads, hd,
                                     static_cast<uint8_t*>(kv.storage.k) + off, kv.storage.k_scale + s_off);
      quantize_activations_per_token(kv.geom.dtype, v + t * row_elems, n_kv_heads, hd,
                                     static_cast<uint8_t*>(kv.storage.v) + off, kv.storage.v_scale + s_off);
    } else {
      std::copy_n(k + t * row_elems, row_elems, static_cast<float*>(kv.storage.k) + off);
      std::copy_n(v + t * row_elems, row_elems, static_cast<float*>(kv.storage.v) + off);
    }
  }
}

}  // namespace rooflm::ref
