// The quantised KV cache of the CPU reference (reference/attention.h), contiguous and paged, int8
// and fp8 e4m3:
//   * ref::kv_write stores, for every (token, kv head) row, exactly the codes and scale that
//     reference/quant.h's quantize_activations_per_token gives for that row (an all-zero row: scale
//     0, codes 0; a row with a 40x outlier: its scale follows the outlier), touches no other slot
//     (unwritten scales keep their NaN poison) and dequantises within scale / 2 (int8) or half an
//     e4m3 step (fp8: 2^-4 relative, 2^-10 * scale absolute near zero);
//   * ref::attention on a quantised cache is bit for bit ref::attention on an fp32 cache holding the
//     dequantised values (code_value * scale, fp32): the same math after the row load.
//   build/tests/rooflm_unit_tests --gtest_filter='ReferenceKvQuant*'
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "common/kv_view.h"
#include "common/variant.h"
#include "common/thread_pool.h"
#include "reference/attention.h"
#include "reference/quant.h"
#include "tests/unit/random_vectors.h"

namespace rooflm {
namespace {

using test::same_bits;
using test::uniform;

constexpr int64_t kLayers = 2, kKvHeads = 2, kHeadDim = 16, kSeqs = 2, kMaxLen = 12;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A host KV pool of `dtype` (f32, i8, f8e4m3) for two sequences of up to kMaxLen tokens: contiguous
// (one slot per sequence) or paged (blocks of 4, block tables out of order). Values / scales start
// NaN, codes 0.
struct Pool {
  std::vector<float> k, v;                   // fp32: [layers, blocks, block_size, kv heads, head_dim]
  std::vector<uint8_t> k_codes, v_codes;     // quantised: same layout
  std::vector<float> k_scale, v_scale;       // quantised: [layers, blocks, block_size, kv heads]
  std::vector<int32_t> tables;               // [kSeqs, max_blocks_per_seq]
  KvView view;

  Pool(KvLayout layout, DType dtype) {
    const int64_t block = layout == KvLayout::paged ? 4 : kMaxLen;
    const int64_t per_seq = kMaxLen / block;
    view.geom = {kLayers, kKvHeads, kHeadDim, block, kSeqs * per_seq + 1, dtype};  // one spare block
    tables = layout == KvLayout::paged ? std::vector<int32_t>{5, 1, 3, 0, 6, 2} : std::vector<int32_t>{1, 0};
    const size_t n = size_t(kLayers * view.geom.num_blocks * view.geom.elems_per_block());
    if (view.geom.quantized()) {
      k_codes.assign(n, 0);
      v_codes.assign(n, 0);
      k_scale.assign(n / size_t(kHeadDim), kNaN);
      v_scale.assign(n / size_t(kHeadDim), kNaN);
      view.storage = {k_codes.data(), v_codes.data(), k_scale.data(), v_scale.data()};
    } else {
      k.assign(n, kNaN);
      v.assign(n, kNaN);
      view.storage = {k.data(), v.data()};
    }
    view.block_tables = tables.data();
    view.max_blocks_per_seq = int32_t(per_seq);
    view.n_seqs = kSeqs;
  }
};

// Tokens written by the tests: sequence 0 at positions [0, 9), sequence 1 at [0, 12).
struct Tokens {
  std::vector<int32_t> seq_row, position;
  std::vector<float> k, v;  // [n, kv heads, head_dim]
  int64_t n() const { return int64_t(seq_row.size()); }
};

Tokens tokens(uint64_t seed) {
  Tokens t;
  for (int32_t s = 0; s < kSeqs; ++s)
    for (int32_t p = 0; p < (s == 0 ? 9 : 12); ++p) {
      t.seq_row.push_back(s);
      t.position.push_back(p);
    }
  const size_t row = size_t(kKvHeads * kHeadDim);
  t.k = uniform(size_t(t.n()) * row, 1.0f, seed);
  t.v = uniform(size_t(t.n()) * row, 2.0f, seed + 1);
  std::fill_n(t.k.begin() + 3 * row + kHeadDim, kHeadDim, 0.0f);  // token 3, kv head 1: all zero
  std::fill_n(t.v.begin() + 5 * row, kHeadDim, 0.0f);             // token 5, kv head 0: all zero
  t.k[7 * row + 4] = 40.0f;                                         // token 7, kv head 0: an outlier
  t.v[10 * row + kHeadDim + 9] = -80.0f;                            // token 10, kv head 1
  return t;
}

void write_all(const Tokens& t, const Pool& pool) {
  for (int64_t layer = 0; layer < kLayers; ++layer)
    ref::kv_write(t.k.data(), t.v.data(), t.seq_row.data(), t.position.data(), t.n(), layer, pool.view);
}

class ReferenceKvQuant : public ::testing::TestWithParam<std::tuple<KvLayout, DType>> {};

TEST_P(ReferenceKvQuant, WriteStoresThePerTokenCodesAndScalesOfEveryHeadRow) {
  const auto [layout, dtype] = GetParam();
  const Tokens t = tokens(3);
  Pool pool(layout, dtype);
  // Layer 1 only: layer 0 must stay untouched.
  ref::kv_write(t.k.data(), t.v.data(), t.seq_row.data(), t.position.data(), t.n(), 1, pool.view);
  std::vector<uint8_t> want_codes(static_cast<size_t>(kHeadDim));
  float want_scale = 0;
  for (int64_t i = 0; i < t.n(); ++i)
    for (int64_t h = 0; h < kKvHeads; ++h)
      for (const bool is_v : {false, true}) {
        SCOPED_TRACE("token " + std::to_string(i) + " head " + std::to_string(h) + (is_v ? " V" : " K"));
        const float* x = (is_v ? t.v : t.k).data() + (i * kKvHeads + h) * kHeadDim;
        ref::quantize_activations_per_token(dtype, x, 1, kHeadDim, want_codes.data(), &want_scale);
        const int64_t off = pool.view.offset(t.seq_row[size_t(i)], 1, t.position[size_t(i)]) + h * kHeadDim;
        const uint8_t* codes = (is_v ? pool.v_codes : pool.k_codes).data() + off;
        const float scale = (is_v ? pool.v_scale : pool.k_scale)[size_t(off / kHeadDim)];
        ASSERT_EQ(scale, want_scale);
        ASSERT_EQ(std::vector<uint8_t>(codes, codes + kHeadDim), want_codes);
        float max_abs = 0;
        for (int64_t d = 0; d < kHeadDim; ++d) max_abs = std::max(max_abs, std::abs(x[d]));
        ASSERT_EQ(scale, max_abs / ref::quant_max(dtype));
        if (max_abs == 0) {
          ASSERT_EQ(std::vector<uint8_t>(codes, codes + kHeadDim), std::vector<uint8_t>(kHeadDim, 0));
        }
        for (int64_t d = 0; d < kHeadDim; ++d) {
          const float dq = ref::code_value(dtype, codes[d]) * scale;
          // int8: rounding to the nearest code (scale / 2), plus the fp32 division's and product's
          // rounding of values up to 127 (2 * 127 * 2^-24 * scale); fp8: half of e4m3's step, 2^-4
          // relative (3 mantissa bits) or 2^-10 * scale among subnormals, plus fp32 rounding (1e-6).
          const float tol = dtype == DType::i8 ? scale * (0.5f + 2e-5f)
                                               : std::abs(x[d]) * (0.0625f + 1e-6f) + scale * 0.0009765625f;
          ASSERT_LE(std::abs(dq - x[d]), tol) << "d " << d;
        }
      }
  // Layer 0 and the spare block were never written: every scale there is still the NaN poison.
  const int64_t layer_scales = pool.view.geom.num_blocks * pool.view.geom.scales_per_block();
  for (int64_t s = 0; s < layer_scales; ++s) {
    ASSERT_TRUE(std::isnan(pool.k_scale[size_t(s)]) && std::isnan(pool.v_scale[size_t(s)])) << "layer 0 scale " << s;
  }
  int64_t written = 0;
  for (int64_t s = layer_scales; s < 2 * layer_scales; ++s) written += !std::isnan(pool.k_scale[size_t(s)]);
  EXPECT_EQ(written, t.n() * kKvHeads);
}

TEST_P(ReferenceKvQuant, AttentionEqualsAttentionOnTheDequantisedFp32Cache) {
  const auto [layout, dtype] = GetParam();
  const Tokens t = tokens(7);
  Pool quant(layout, dtype), dequant(layout, DType::f32);
  write_all(t, quant);
  // The fp32 cache holds code_value * scale of every written element (NaN elsewhere, as in `quant`).
  for (size_t e = 0; e < dequant.k.size(); ++e) {
    dequant.k[e] = ref::code_value(dtype, quant.k_codes[e]) * quant.k_scale[e / size_t(kHeadDim)];
    dequant.v[e] = ref::code_value(dtype, quant.v_codes[e]) * quant.v_scale[e / size_t(kHeadDim)];
  }
  // Sequence 0: a 4-token chunk after 5 cached tokens; sequence 1: one decode token at position 11.
  const int64_t n_heads = 4;
  const std::vector<int32_t> q_begin{0, 4, 5}, kv_len{9, 12};
  const std::vector<float> q = uniform(size_t(5 * n_heads * kHeadDim), 1.5f, 11);
  ThreadPool threads(2);
  for (const int64_t window : {0, 3}) {
    for (int64_t layer = 0; layer < kLayers; ++layer) {
      SCOPED_TRACE("window " + std::to_string(window) + " layer " + std::to_string(layer));
      std::vector<float> got(q.size()), want(q.size());
      ref::attention(&threads, q.data(), got.data(), q_begin.data(), kv_len.data(), kSeqs, n_heads, layer, window,
                     quant.view);
      ref::attention(nullptr, q.data(), want.data(), q_begin.data(), kv_len.data(), kSeqs, n_heads, layer, window,
                     dequant.view);
      EXPECT_TRUE(same_bits(got, want));
      for (float x : got) ASSERT_TRUE(std::isfinite(x));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(LayoutsAndDtypes, ReferenceKvQuant,
                         ::testing::Combine(::testing::Values(KvLayout::contiguous, KvLayout::paged),
                                            ::testing::Values(DType::i8, DType::f8e4m3)),
                         [](const auto& info) {
                           return std::string(name(std::get<0>(info.param))) + "_" +
                                  (std::get<1>(info.param) == DType::i8 ? "int8" : "fp8");
                         });

}  // namespace
}  // namespace rooflm
