// The CPU reference ops (reference/) on their own: sliding-window attention vs an independent fp64
// attention built from Hugging Face's mask predicate (masking_utils.py: causal kv_idx <= q_idx AND
// sliding_window_overlay kv_idx > q_idx - window), varlen chunks over a cache with NaN outside every
// window; bias, thread pool and fused-vs-separate activation identities (bit-exact); RoPE tables
// (linear scaling by 4 at position 4p is the unscaled rotation at p, bit-exact).
//   build/tests/rooflm_unit_tests --gtest_filter='ReferenceOps*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/kv_view.h"
#include "common/rope_table.h"
#include "common/thread_pool.h"
#include "reference/activation.h"
#include "reference/attention.h"
#include "reference/linear.h"
#include "reference/rope.h"
#include "tests/unit/random_vectors.h"

namespace rooflm {
namespace {

using test::uniform;
using test::same_bits;

// An fp32 contiguous cache, one slot per sequence, one layer.
struct Cache {
  std::vector<float> k, v;
  std::vector<int32_t> tables;
  KvView view;
  Cache(int64_t n_seqs, int64_t max_len, int64_t n_kv, int64_t hd, uint64_t seed)
      : k(uniform(size_t(n_seqs * max_len * n_kv * hd), 1.0f, seed)),
        v(uniform(size_t(n_seqs * max_len * n_kv * hd), 1.0f, seed + 1)) {
    for (int32_t i = 0; i < int32_t(n_seqs); ++i) tables.push_back(i);
    view.geom = {1, n_kv, hd, max_len, n_seqs, DType::f32};
    view.storage = {k.data(), v.data()};
    view.block_tables = tables.data();
    view.max_blocks_per_seq = 1;
    view.n_seqs = int32_t(n_seqs);
  }
  // NaN at positions [0, first) of sequence s: what no query's window may read.
  void poison_before(int32_t s, int64_t first) {
    const int64_t row = view.geom.n_kv_heads * view.geom.head_dim;
    for (int64_t pos = 0; pos < first; ++pos)
      for (int64_t e = 0; e < row; ++e) {
        k[size_t(view.offset(s, 0, pos) + e)] = std::numeric_limits<float>::quiet_NaN();
        v[size_t(view.offset(s, 0, pos) + e)] = std::numeric_limits<float>::quiet_NaN();
      }
  }
};

// fp64 attention over an explicit mask: key j visible to the query at position p iff
// j <= p && (window == 0 || j > p - window).
std::vector<double> masked_attention(const std::vector<float>& q, const std::vector<int32_t>& q_begin,
                                     const std::vector<int32_t>& kv_len, int64_t n_heads, int64_t window,
                                     const Cache& c) {
  const int64_t hd = c.view.geom.head_dim, group = n_heads / c.view.geom.n_kv_heads;
  std::vector<double> out(q.size(), 0.0);
  for (size_t s = 0; s + 1 < q_begin.size(); ++s) {
    const int64_t q_len = q_begin[s + 1] - q_begin[s];
    for (int64_t i = 0; i < q_len; ++i) {
      const int64_t t = q_begin[s] + i, p = kv_len[s] - q_len + i;
      for (int64_t h = 0; h < n_heads; ++h) {
        std::vector<double> w(size_t(kv_len[s]), 0.0);
        double m = -INFINITY, sum = 0;
        for (int64_t j = 0; j < kv_len[s]; ++j) {
          if (!(j <= p && (window == 0 || j > p - window))) continue;
          const float* kr = c.k.data() + c.view.offset(int32_t(s), 0, j) + (h / group) * hd;
          double dot = 0;
          for (int64_t d = 0; d < hd; ++d) dot += double(q[size_t((t * n_heads + h) * hd + d)]) * kr[d];
          w[size_t(j)] = dot / std::sqrt(double(hd));
          m = std::max(m, w[size_t(j)]);
        }
        for (int64_t j = 0; j < kv_len[s]; ++j) {
          if (!(j <= p && (window == 0 || j > p - window))) continue;
          w[size_t(j)] = std::exp(w[size_t(j)] - m);
          sum += w[size_t(j)];
        }
        for (int64_t j = 0; j < kv_len[s]; ++j) {
          if (!(j <= p && (window == 0 || j > p - window))) continue;
          const float* vr = c.v.data() + c.view.offset(int32_t(s), 0, j) + (h / group) * hd;
          for (int64_t d = 0; d < hd; ++d) out[size_t((t * n_heads + h) * hd + d)] += w[size_t(j)] / sum * vr[d];
        }
      }
    }
  }
  return out;
}

TEST(ReferenceOps, WindowAttentionMatchesTheHuggingFaceMask) {
  const int64_t n_heads = 4, n_kv = 2, hd = 16;
  // A whole prompt, a chunk after a cached prefix, a decode token, a prompt shorter than the window.
  const std::vector<int32_t> q_lens{40, 7, 1, 3}, kv_lens{40, 50, 61, 3};
  std::vector<int32_t> q_begin{0};
  for (int32_t l : q_lens) q_begin.push_back(q_begin.back() + l);
  const std::vector<float> q = uniform(size_t(q_begin.back() * n_heads * hd), 1.5f, 3);
  ThreadPool pool(3);
  for (const int64_t window : {0, 1, 5, 16, 100}) {
    SCOPED_TRACE("window=" + std::to_string(window));
    Cache c(4, 64, n_kv, hd, 11);
    if (window > 0)
      for (int32_t s = 0; s < 4; ++s) c.poison_before(s, std::max<int64_t>(0, kv_lens[s] - q_lens[s] - window + 1));
    std::vector<float> got(q.size()), serial(q.size());
    ref::attention(&pool, q.data(), got.data(), q_begin.data(), kv_lens.data(), 4, n_heads, 0, window, c.view);
    ref::attention(nullptr, q.data(), serial.data(), q_begin.data(), kv_lens.data(), 4, n_heads, 0, window, c.view);
    EXPECT_TRUE(same_bits(got, serial)) << "the pool must not change a bit";
    const std::vector<double> want = masked_attention(q, q_begin, kv_lens, n_heads, window, c);
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(got[i], want[i], 1e-5 + 1e-5 * std::abs(want[i])) << "element " << i;  // fp32 vs fp64
  }
}

TEST(ReferenceOps, WindowWiderThanTheContextIsNoWindow) {
  const int64_t n_heads = 2, n_kv = 1, hd = 8;
  const std::vector<int32_t> q_begin{0, 9, 10}, kv_lens{9, 30};
  const std::vector<float> q = uniform(size_t(10 * n_heads * hd), 1.0f, 5);
  Cache c(2, 32, n_kv, hd, 6);
  std::vector<float> none(q.size()), wide(q.size());
  ref::attention(nullptr, q.data(), none.data(), q_begin.data(), kv_lens.data(), 2, n_heads, 0, 0, c.view);
  ref::attention(nullptr, q.data(), wide.data(), q_begin.data(), kv_lens.data(), 2, n_heads, 0, 30, c.view);
  EXPECT_TRUE(same_bits(none, wide));
}

TEST(ReferenceOps, LinearBiasIsAddedAfterTheDotAndThePoolChangesNothing) {
  const int64_t n = 3, in = 37, out = 19;
  const std::vector<float> x = uniform(size_t(n * in), 1.0f, 1), w = uniform(size_t(out * in), 0.3f, 2),
                           bias = uniform(size_t(out), 1.0f, 3);
  ThreadPool pool(4);
  std::vector<float> plain(size_t(n * out)), with_bias(size_t(n * out)), serial(size_t(n * out));
  ref::linear_xwt(&pool, x.data(), w.data(), nullptr, plain.data(), n, in, out);
  ref::linear_xwt(&pool, x.data(), w.data(), bias.data(), with_bias.data(), n, in, out);
  ref::linear_xwt(nullptr, x.data(), w.data(), bias.data(), serial.data(), n, in, out);
  EXPECT_TRUE(same_bits(with_bias, serial));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < out; ++o)
      EXPECT_EQ(with_bias[size_t(t * out + o)], plain[size_t(t * out + o)] + bias[size_t(o)]);
}

TEST(ReferenceOps, FusedSiluMulEqualsSiluThenMul) {
  const int64_t n = 5, ffn = 13;
  const std::vector<float> gate_up = uniform(size_t(n * 2 * ffn), 4.0f, 9);
  std::vector<float> fused(size_t(n * ffn)), g(size_t(n * ffn)), u(size_t(n * ffn)), separate(size_t(n * ffn));
  ref::silu_mul(gate_up.data(), fused.data(), n, ffn);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t j = 0; j < ffn; ++j) {
      g[size_t(t * ffn + j)] = gate_up[size_t(t * 2 * ffn + j)];
      u[size_t(t * ffn + j)] = gate_up[size_t(t * 2 * ffn + ffn + j)];
    }
  ref::silu(g.data(), g.data(), n * ffn);
  ref::mul(g.data(), u.data(), separate.data(), n * ffn);
  EXPECT_TRUE(same_bits(fused, separate));
}

TEST(ReferenceOps, RopeLinearScalingIsPositionInterpolation) {
  const int64_t n_heads = 3, hd = 32;
  RopeScaling linear;
  linear.kind = RopeScaling::Kind::linear;
  linear.factor = 4.0;
  const std::vector<double> plain = rope_inv_freq(hd, 10000.0, RopeScaling{});
  const std::vector<double> scaled = rope_inv_freq(hd, 10000.0, linear);
  const std::vector<int32_t> positions{0, 1, 7, 1000}, positions_x4{0, 4, 28, 4000};
  std::vector<float> a = uniform(size_t(4 * n_heads * hd), 1.0f, 4), b = a;
  ref::rope(a.data(), positions.data(), 4, n_heads, hd, plain.data());
  ref::rope(b.data(), positions_x4.data(), 4, n_heads, hd, scaled.data());
  EXPECT_TRUE(same_bits(a, b));  // (4p) * (f / 4) == p * f exactly: powers of two
}

}  // namespace
}  // namespace rooflm
