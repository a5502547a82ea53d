// GPU tests of the quantised KV cache (int8 and fp8 e4m3 codes, one fp32 scale per (token, kv head)):
//   * kv_write_quant and rope_qkv_kv_write_quant against reference/quant.h's per-row quantiser on the
//     same fp32 values (kv_write: bit for bit; with RoPE the fp32 rotation differs from the
//     reference's by a few ulps, so a code may differ by one step);
//   * attn_decode_splitk, attn_prefill_flash and attn_naive reading a quantised cache against the CPU
//     reference attention on an fp32 cache holding the dequantised values (code * scale), every
//     layout, every element, with the fp16 kernels' tolerances (attention_test_util.h): the kernels
//     widen codes to fp16 exactly and fold the scales into S and P, so their error is the fp16 path's.
// Every slot no step wrote holds poison (codes 0xFF, scales NaN) and must stay unread / untouched.
// Skips without a CUDA device.
//   build/tests/gpu/rooflm_gpu_tests --gtest_filter='*QuantKv*'
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/rope_table.h"
#include "kernels/attention/attention.h"
#include "reference/attention.h"
#include "reference/quant.h"
#include "reference/rope.h"
#include "tests/gpu/attention_test_util.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm::attn {
namespace {

using namespace testkit;  // NOLINT: the fixtures of the attention suites
using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;

constexpr uint8_t kPoisonCode = 0xFF;

struct QuantRows {
  std::vector<uint8_t> codes;
  std::vector<float> scales;
};

// Per row of head_dim values: the reference's per-token quantiser.
QuantRows quantize_rows(DType dtype, const std::vector<float>& x, int head_dim) {
  const int64_t rows = int64_t(x.size()) / head_dim;
  QuantRows q{std::vector<uint8_t>(x.size()), std::vector<float>(size_t(rows))};
  ref::quantize_activations_per_token(dtype, x.data(), rows, head_dim, q.codes.data(), q.scales.data());
  return q;
}

std::vector<float> dequantize_rows(DType dtype, const QuantRows& q, int head_dim) {
  std::vector<float> out(q.codes.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = ref::code_value(dtype, q.codes[i]) * q.scales[i / size_t(head_dim)];
  return out;
}

std::vector<float> as_float(const std::vector<__half>& h) {
  std::vector<float> f(h.size());
  for (size_t i = 0; i < h.size(); ++i) f[i] = __half2float(h[i]);
  return f;
}

// A quantised device cache with the layout and block tables of `cache` (an fp16 TestCache): every
// (token, head) row the fp16 cache holds is quantised, every NaN row is poison.
struct QuantCache {
  DeviceBuffer<uint8_t> k, v;
  DeviceBuffer<float> k_scale, v_scale;
  KvDeviceView view;
};

QuantCache make_quant_cache(const TestCache& cache, DType dtype) {
  const int hd = int(cache.geom.head_dim);
  QuantCache q;
  const auto convert = [&](const DeviceBuffer<__half>& values, DeviceBuffer<uint8_t>& codes_d, DeviceBuffer<float>& scales_d) {
    std::vector<float> f = as_float(values.download());
    std::vector<bool> poison(f.size() / size_t(hd));
    for (size_t r = 0; r < poison.size(); ++r)
      if (std::isnan(f[r * size_t(hd)])) {
        poison[r] = true;
        std::fill_n(f.begin() + ptrdiff_t(r) * hd, hd, 0.0f);
      }
    QuantRows rows = quantize_rows(dtype, f, hd);
    for (size_t r = 0; r < poison.size(); ++r)
      if (poison[r]) {
        std::fill_n(rows.codes.begin() + ptrdiff_t(r) * hd, hd, kPoisonCode);
        rows.scales[r] = NAN;
      }
    codes_d = DeviceBuffer<uint8_t>(rows.codes);
    scales_d = DeviceBuffer<float>(rows.scales);
  };
  convert(cache.k, q.k, q.k_scale);
  convert(cache.v, q.v, q.v_scale);
  KvView host = cache.host_view(q.k.get(), q.v.get(), dtype);
  host.storage.k_scale = q.k_scale.get();
  host.storage.v_scale = q.v_scale.get();
  q.view = make_kv_device_view(host, cache.tables_d.get());
  return q;
}

// The reference cache of the dequantised logical K and V.
ReferenceKv make_dequantized_reference(const LogicalKv& logical, const std::vector<int>& kv_lens, int n_kv,
                                       int head_dim, DType dtype) {
  ReferenceKv r = make_reference_kv(logical, kv_lens, n_kv, head_dim);
  const int64_t max_len = r.view.geom.block_size, row = int64_t(n_kv) * head_dim;
  for (size_t i = 0; i < kv_lens.size(); ++i) {
    const std::vector<float> k = dequantize_rows(dtype, quantize_rows(dtype, as_float(logical.k[i]), head_dim), head_dim);
    const std::vector<float> v = dequantize_rows(dtype, quantize_rows(dtype, as_float(logical.v[i]), head_dim), head_dim);
    std::copy(k.begin(), k.end(), r.k.begin() + ptrdiff_t(i * max_len * row));
    std::copy(v.begin(), v.end(), r.v.begin() + ptrdiff_t(i * max_len * row));
  }
  return r;
}

const char* dtype_label(DType d) { return d == DType::i8 ? "int8" : "fp8"; }

// ---- KV write -----------------------------------------------------------------------------------

// Tokens of three sequences: a prompt, a chunk after a prefix, a decode step at position 200.
struct Writes {
  std::vector<int> capacity{40, 60, 210};
  std::vector<int32_t> seq_row, position;
  Writes() {
    for (int p = 0; p < 17; ++p) add(0, p);
    for (int p = 37; p < 40; ++p) add(1, p);
    add(2, 200);
  }
  void add(int row, int pos) {
    seq_row.push_back(row);
    position.push_back(pos);
  }
};

// The expected codes and scales of a cache after writing k_rows / v_rows ([n_tokens, n_kv, hd]
// fp32) at the tokens' places: the reference quantiser's rows at each (token, head), poison elsewhere.
std::pair<QuantRows, QuantRows> expected_cache(const TestCache& cache, const Writes& w, DType dtype,
                                               const std::vector<float>& k_rows, const std::vector<float>& v_rows) {
  const int hd = int(cache.geom.head_dim), n_kv = int(cache.geom.n_kv_heads);
  const size_t elems = size_t(cache.geom.n_layers * cache.geom.num_blocks * cache.geom.elems_per_block());
  std::pair<QuantRows, QuantRows> out;
  for (QuantRows* q : {&out.first, &out.second}) {
    q->codes.assign(elems, kPoisonCode);
    q->scales.assign(elems / size_t(hd), NAN);
  }
  const QuantRows k = quantize_rows(dtype, k_rows, hd), v = quantize_rows(dtype, v_rows, hd);
  const KvView view = cache.host_view(nullptr, nullptr, dtype);
  for (size_t t = 0; t < w.seq_row.size(); ++t)
    for (int h = 0; h < n_kv; ++h) {
      const int64_t off = view.offset(w.seq_row[t], kLayer, w.position[t]) + int64_t(h) * hd;
      const size_t src = (t * size_t(n_kv) + size_t(h)) * size_t(hd);
      std::copy_n(k.codes.begin() + ptrdiff_t(src), hd, out.first.codes.begin() + off);
      std::copy_n(v.codes.begin() + ptrdiff_t(src), hd, out.second.codes.begin() + off);
      out.first.scales[size_t(off / hd)] = k.scales[src / size_t(hd)];
      out.second.scales[size_t(off / hd)] = v.scales[src / size_t(hd)];
    }
  return out;
}

// Codes within `code_steps` (int8: integer steps; fp8: adjacent e4m3 values, compared as bit
// patterns of one sign) and scales within `scale_rtol`; poison bytes and NaN scales exactly where
// expected.
void expect_quant_matches(const std::vector<uint8_t>& got_codes, const std::vector<float>& got_scales,
                          const QuantRows& want, int code_steps, double scale_rtol, const std::string& what) {
  ASSERT_EQ(got_codes.size(), want.codes.size());
  ASSERT_EQ(got_scales.size(), want.scales.size());
  size_t bad = 0;
  std::string first;
  for (size_t i = 0; i < want.scales.size(); ++i) {
    const bool ok = std::isnan(want.scales[i]) ? std::isnan(got_scales[i])
                                               : std::abs(got_scales[i] - want.scales[i]) <= scale_rtol * want.scales[i];
    if (!ok && bad++ < 5)
      first += " scale[" + std::to_string(i) + "] got " + std::to_string(got_scales[i]) + " want " + std::to_string(want.scales[i]);
  }
  for (size_t i = 0; i < want.codes.size(); ++i) {
    const int diff = std::abs(int(int8_t(got_codes[i])) - int(int8_t(want.codes[i])));
    const bool poison = std::isnan(want.scales[i / (want.codes.size() / want.scales.size())]);
    const bool ok = poison ? got_codes[i] == kPoisonCode : diff <= code_steps;
    if (!ok && bad++ < 5)
      first += " code[" + std::to_string(i) + "] got " + std::to_string(got_codes[i]) + " want " + std::to_string(want.codes[i]);
  }
  EXPECT_EQ(bad, 0u) << what << ":" << first;
}

class QuantKvWrite : public ::testing::TestWithParam<std::pair<int, DType>> {};

std::string write_name(const ::testing::TestParamInfo<std::pair<int, DType>>& info) {
  return "hd" + std::to_string(info.param.first) + "_" + dtype_label(info.param.second);
}

TEST_P(QuantKvWrite, CodesAndScalesEqualTheReferenceQuantiser) {
  ROOFLM_REQUIRE_GPU();
  const auto [head_dim, dtype] = GetParam();
  const int n_kv = 2;
  const Writes w;
  const int n_tokens = int(w.seq_row.size());
  std::vector<float> k_f, v_f;
  auto k = random_half(size_t(n_tokens) * n_kv * head_dim, 1.0f, 41, &k_f);
  auto v = random_half(size_t(n_tokens) * n_kv * head_dim, 1.0f, 42, &v_f);
  for (int d = 0; d < head_dim; ++d) k[size_t(d)] = v[size_t(d)] = __float2half(0.0f);  // an all-zero row
  k[size_t(head_dim) + 3] = __float2half(40.0f);                                     // an outlier
  k_f = as_float(k);
  v_f = as_float(v);
  DeviceBuffer<__half> k_d(k), v_d(v);
  DeviceBuffer<int32_t> row_d(w.seq_row), pos_d(w.position);
  const KvWriteTokens tokens{n_tokens, row_d.get(), pos_d.get()};
  for (const LayoutSpec& spec : kLayoutSpecs) {
    const TestCache fp16 = make_cache(spec, n_kv, head_dim, w.capacity, nullptr, 5);
    QuantCache cache = make_quant_cache(fp16, dtype);
    kv_write_quant(k_d.get(), v_d.get(), tokens, kLayer, cache.view, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    const auto [want_k, want_v] = expected_cache(fp16, w, dtype, k_f, v_f);
    expect_quant_matches(cache.k.download(), cache.k_scale.download(), want_k, 0, 0, std::string(spec.name) + " K");
    expect_quant_matches(cache.v.download(), cache.v_scale.download(), want_v, 0, 0, std::string(spec.name) + " V");
  }
}

// The fused set's writer from QKV GEMM rows: rotated q out in fp16, rotated k and plain v quantised.
TEST_P(QuantKvWrite, RopeFromQkvRowsMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  const auto [head_dim, dtype] = GetParam();
  const double theta = 10000.0;
  const std::vector<double> exact = rope_inv_freq(head_dim, theta, RopeScaling{});
  const std::vector<float> table_f(exact.begin(), exact.end());
  const std::vector<double> table(table_f.begin(), table_f.end());
  DeviceBuffer<float> table_d(table_f);
  for (const auto [n_heads, n_kv] : {std::pair{32, 32}, std::pair{32, 8}}) {
    Writes w;
    w.capacity[2] = 5010;
    w.add(2, 5000);  // a long-context angle
    const int n_tokens = int(w.seq_row.size()), width = (n_heads + 2 * n_kv) * head_dim;
    std::vector<float> qkv_f;
    const auto qkv = random_half(size_t(n_tokens) * width, 1.0f, 51 + n_kv, &qkv_f);
    std::vector<float> q_ref(size_t(n_tokens) * n_heads * head_dim), k_rot(size_t(n_tokens) * n_kv * head_dim),
        v_f(size_t(n_tokens) * n_kv * head_dim);
    for (int t = 0; t < n_tokens; ++t) {
      const float* row = qkv_f.data() + size_t(t) * width;
      std::copy(row, row + n_heads * head_dim, q_ref.begin() + ptrdiff_t(t) * n_heads * head_dim);
      std::copy(row + n_heads * head_dim, row + (n_heads + n_kv) * head_dim, k_rot.begin() + ptrdiff_t(t) * n_kv * head_dim);
      std::copy(row + (n_heads + n_kv) * head_dim, row + width, v_f.begin() + ptrdiff_t(t) * n_kv * head_dim);
    }
    ref::rope(q_ref.data(), w.position.data(), n_tokens, n_heads, head_dim, table.data());
    ref::rope(k_rot.data(), w.position.data(), n_tokens, n_kv, head_dim, table.data());
    DeviceBuffer<__half> qkv_d(qkv);
    DeviceBuffer<int32_t> row_d(w.seq_row), pos_d(w.position);
    const KvWriteTokens tokens{n_tokens, row_d.get(), pos_d.get()};
    for (const LayoutSpec& spec : kLayoutSpecs) {
      const std::string what = std::string(spec.name) + " heads " + std::to_string(n_heads) + "/" + std::to_string(n_kv);
      const TestCache fp16 = make_cache(spec, n_kv, head_dim, w.capacity, nullptr, 6);
      QuantCache cache = make_quant_cache(fp16, dtype);
      DeviceBuffer<__half> q_d(size_t(n_tokens) * n_heads * head_dim);
      const std::vector<float> q_got = run_and_download(q_d, [&] {
        rope_qkv_kv_write_quant(qkv_d.get(), q_d.get(), n_heads, table_d.get(), tokens, kLayer, cache.view, nullptr);
      });
      EXPECT_TRUE(all_close(q_got, q_ref, kRopeAtol, kRopeRtol)) << what << " Q";
      const auto [want_k, want_v] = expected_cache(fp16, w, dtype, k_rot, v_f);
      // K: the rotation's fp32 rounding may move a value across a rounding boundary (one code step)
      // and the row maximum by a few ulps (the scale).
      expect_quant_matches(cache.k.download(), cache.k_scale.download(), want_k, 1, 1e-3, what + " K");
      expect_quant_matches(cache.v.download(), cache.v_scale.download(), want_v, 0, 0, what + " V");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, QuantKvWrite,
                         ::testing::Values(std::pair{64, DType::i8}, std::pair{128, DType::i8},
                                           std::pair{64, DType::f8e4m3}, std::pair{128, DType::f8e4m3}),
                         write_name);

// ---- Attention ----------------------------------------------------------------------------------

struct AttnParam {
  int head_dim;
  int group;
  DType dtype;
};

std::string attn_name(const ::testing::TestParamInfo<AttnParam>& info) {
  return "hd" + std::to_string(info.param.head_dim) + "_group" + std::to_string(info.param.group) + "_" +
         dtype_label(info.param.dtype);
}

std::vector<AttnParam> attn_params() {
  std::vector<AttnParam> params;
  for (DType dtype : {DType::i8, DType::f8e4m3})
    for (int head_dim : {64, 128})
      for (int group : {1, 4}) params.push_back({head_dim, group, dtype});
  return params;
}

// Random logical K/V and queries of a varlen batch, and the reference attention on the dequantised
// cache (kHeads query heads).
struct AttnProblem {
  LogicalKv logical;
  TestBatch tb;
  std::vector<float> q_f, ref;
  std::vector<__half> q;
  AttnProblem(const std::vector<int>& q_lens, const std::vector<int>& kv_lens, int n_kv, int head_dim, DType dtype,
              uint64_t seed)
      : logical(random_logical_kv(kv_lens, n_kv, head_dim, seed)), tb(make_batch(q_lens, kv_lens)) {
    q = random_half(size_t(tb.q_begin.back()) * kHeads * head_dim, 1.5f, seed + 99, &q_f);
    ReferenceKv ref_kv = make_dequantized_reference(logical, kv_lens, n_kv, head_dim, dtype);
    ref.resize(q.size());
    ref::attention(nullptr, q_f.data(), ref.data(), tb.q_begin.data(), tb.kv_len.data(), int64_t(kv_lens.size()),
                   kHeads, 0, 0, ref_kv.view);
  }
};

class QuantKvAttention : public ::testing::TestWithParam<AttnParam> {};

// Decode: one query per sequence, contexts 1 to 2100, automatic and forced split counts.
TEST_P(QuantKvAttention, DecodeSplitKMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  const auto [head_dim, group, dtype] = GetParam();
  const int n_kv = kHeads / group;
  const std::vector<int> kv_lens{1, 3, 17, 38, 129, 257, 2100};
  const std::vector<int> q_lens(kv_lens.size(), 1);
  const uint64_t seed = 7000 + head_dim * 10 + group + (dtype == DType::i8 ? 0 : 1);
  const AttnProblem p(q_lens, kv_lens, n_kv, head_dim, dtype, seed);
  const AttnBatch batch = p.tb.batch();
  DeviceBuffer<__half> q_d(p.q), out_d(p.q.size());
  for (const LayoutSpec& spec : kLayoutSpecs) {
    const TestCache fp16 = make_cache(spec, n_kv, head_dim, kv_lens, &p.logical, seed + 7);
    const QuantCache cache = make_quant_cache(fp16, dtype);
    for (int n_splits : {0, 1, 5}) {
      auto scratch = scratch_of(attn_decode_splitk_scratch_bytes(batch, kHeads, cache.view, n_splits));
      const auto got = run_and_download(out_d, [&] {
        attn_decode_splitk_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, cache.view, scratch.get(), nullptr,
                               n_splits);
      });
      EXPECT_TRUE(all_close(got, p.ref, kAttnAtol, kAttnRtol)) << spec.name << " n_splits " << n_splits;
    }
  }
}

// Prefill: q_len 1, 3, 17, 129 and 257 after a 37-token cached prefix; flash and naive.
TEST_P(QuantKvAttention, PrefillFlashAndNaiveMatchReference) {
  ROOFLM_REQUIRE_GPU();
  const auto [head_dim, group, dtype] = GetParam();
  const int n_kv = kHeads / group, prefix = 37;
  const std::vector<int> q_lens{1, 3, 17, 129, 257};
  std::vector<int> kv_lens;
  for (int q_len : q_lens) kv_lens.push_back(prefix + q_len);
  const uint64_t seed = 8000 + head_dim * 10 + group + (dtype == DType::i8 ? 0 : 1);
  const AttnProblem p(q_lens, kv_lens, n_kv, head_dim, dtype, seed);
  const AttnBatch batch = p.tb.batch();
  DeviceBuffer<__half> q_d(p.q), out_d(p.q.size());
  CublasHandle cublas;
  for (const LayoutSpec& spec : kLayoutSpecs) {
    const TestCache fp16 = make_cache(spec, n_kv, head_dim, kv_lens, &p.logical, seed + 7);
    const QuantCache cache = make_quant_cache(fp16, dtype);
    auto flash_scratch = scratch_of(attn_prefill_flash_scratch_bytes(batch, kHeads, cache.view));
    const auto flash = run_and_download(out_d, [&] {
      attn_prefill_flash_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, cache.view, flash_scratch.get(), nullptr);
    });
    EXPECT_TRUE(all_close(flash, p.ref, kAttnAtol, kAttnRtol)) << "flash " << spec.name;
    auto naive_scratch = scratch_of(attn_naive_scratch_bytes(batch, kHeads, cache.view));
    const auto naive = run_and_download(out_d, [&] {
      attn_naive_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, cache.view, naive_scratch.get(), cublas.handle,
                     nullptr);
    });
    EXPECT_TRUE(all_close(naive, p.ref, kAttnAtol, kAttnRtol)) << "naive " << spec.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, QuantKvAttention, ::testing::ValuesIn(attn_params()), attn_name);

// ---- Views --------------------------------------------------------------------------------------

TEST(QuantKvView, NeedsScalesAndAKnownDtype) {
  KvView view;
  view.geom = {1, 8, 128, 64, 4, DType::i8};
  try {
    make_kv_device_view(view, nullptr);
    FAIL() << "a quantised view without scales was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("k_scale"), std::string::npos) << e.what();
  }
  view.geom.dtype = DType::f32;
  EXPECT_THROW(make_kv_device_view(view, nullptr), InputError);
  float scale = 0;
  view.geom.dtype = DType::f8e4m3;
  view.storage.k_scale = view.storage.v_scale = &scale;
  EXPECT_TRUE(make_kv_device_view(view, nullptr).quantized());
}

}  // namespace
}  // namespace rooflm::attn
