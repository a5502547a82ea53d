// GPU tests of kernels/attention: kv_write, rope_kv_write, attn_prefill_flash_f16, attn_naive_f16 and
// attn_decode_splitk_f16 against the CPU references (reference/), on fresh random fp16 inputs,
// for contiguous and paged caches (block sizes 8/16/32, shuffled block tables). Every cache element
// that no sequence owns (other layer, unused slots, positions past kv_len, spare blocks) is NaN, and
// every output is NaN-poisoned before the kernel runs. Skips without a CUDA device.
// Fixtures and tolerances: attention_test_util.h; sliding windows: attention_window_test.cu.
//   build-<name>/tests/gpu/rooflm_gpu_tests --gtest_filter='Attention*:KvWrite*'
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/rope_table.h"
#include "kernels/attention/attention.h"
#include "reference/attention.h"
#include "reference/rope.h"
#include "tests/gpu/attention_test_util.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm::attn {
namespace {

using namespace testkit;  // NOLINT: the fixtures of this suite
using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

// ---- KV write ----------------------------------------------------------------------------------

struct WriteCase {
  std::vector<int> capacity{40, 60, 210};
  // tokens: seq 0 positions 0..16 (a prompt), seq 1 positions 37..39 (a chunk after a prefix),
  // seq 2 position 200 (a decode step)
  std::vector<int32_t> seq_row, position;
  WriteCase() {
    for (int p = 0; p < 17; ++p) add(0, p);
    for (int p = 37; p < 40; ++p) add(1, p);
    add(2, 200);
  }
  void add(int row, int pos) {
    seq_row.push_back(row);
    position.push_back(pos);
  }
};

// Device cache vs a float reference cache that starts all-NaN: written elements must match exactly
// (kv_write) or within tolerance (rope_kv_write); every other element must still be the poison.
void expect_cache_matches(const std::vector<__half>& got, const std::vector<float>& ref, double atol, double rtol,
                          const std::string& what) {
  ASSERT_EQ(got.size(), ref.size());
  size_t bad = 0;
  std::string first;
  for (size_t i = 0; i < ref.size(); ++i) {
    const bool ok = std::isnan(ref[i]) ? bits_of(got[i]) == kPoisonBits
                                       : std::abs(double(__half2float(got[i])) - ref[i]) <= atol + rtol * std::abs(double(ref[i]));
    if (!ok && bad++ < 5)
      first += " [" + std::to_string(i) + "] got " + std::to_string(__half2float(got[i])) + " ref " + std::to_string(ref[i]);
  }
  EXPECT_EQ(bad, 0u) << what << ":" << first;
}

class KvWrite : public ::testing::TestWithParam<int> {};

TEST_P(KvWrite, StoresEveryTokenAndTouchesNothingElse) {
  ROOFLM_REQUIRE_GPU();
  const int head_dim = GetParam(), n_kv = 2;
  const WriteCase wc;
  const int n_tokens = int(wc.seq_row.size());
  std::vector<float> k_f, v_f;
  const auto k = random_half(size_t(n_tokens) * n_kv * head_dim, 1.0f, 11, &k_f);
  const auto v = random_half(size_t(n_tokens) * n_kv * head_dim, 1.0f, 12, &v_f);
  DeviceBuffer<__half> k_d(k), v_d(v);
  DeviceBuffer<int32_t> row_d(wc.seq_row), pos_d(wc.position);
  const KvWriteTokens tokens{n_tokens, row_d.get(), pos_d.get()};
  for (const LayoutSpec& spec : kLayoutSpecs) {
    TestCache cache = make_cache(spec, n_kv, head_dim, wc.capacity, nullptr, 5);
    kv_write_f16(k_d.get(), v_d.get(), tokens, kLayer, cache.device_view(), nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<float> k_ref(cache.k.size(), NAN), v_ref(cache.v.size(), NAN);
    ref::kv_write(k_f.data(), v_f.data(), wc.seq_row.data(), wc.position.data(), n_tokens, kLayer,
                  cache.host_view(k_ref.data(), v_ref.data(), DType::f32));
    expect_cache_matches(cache.k.download(), k_ref, 0, 0, std::string(spec.name) + " K");
    expect_cache_matches(cache.v.download(), v_ref, 0, 0, std::string(spec.name) + " V");
  }
}

// The model's RoPE table as the kernels read it: fp32 on the device, and the same values (in double)
// for the reference. Llama-2's theta, and Llama-3.1's theta with its rope scaling.
struct RopeTable {
  const char* name;
  std::vector<double> as_read;
  DeviceBuffer<float> device;
};

std::vector<RopeTable> rope_tables(int head_dim) {
  RopeScaling llama3;
  llama3.kind = RopeScaling::Kind::llama3;
  llama3.factor = 8.0;
  llama3.low_freq_factor = 1.0;
  llama3.high_freq_factor = 4.0;
  llama3.original_max_positions = 8192;
  std::vector<RopeTable> tables;
  for (const auto& [name, theta, scaling] :
       {std::tuple{"theta1e4", 10000.0, RopeScaling{}}, std::tuple{"llama3", 500000.0, llama3}}) {
    const std::vector<double> exact = rope_inv_freq(head_dim, theta, scaling);
    const std::vector<float> f(exact.begin(), exact.end());
    tables.push_back({name, std::vector<double>(f.begin(), f.end()), DeviceBuffer<float>(f)});
  }
  return tables;
}

TEST_P(KvWrite, RopeFusedRotatesQInPlaceAndKIntoTheCache) {
  ROOFLM_REQUIRE_GPU();
  const int head_dim = GetParam(), n_kv = 2, n_heads = 8;
  for (const RopeTable& table : rope_tables(head_dim)) {
    SCOPED_TRACE(table.name);
    WriteCase wc;
    wc.capacity[2] = 5010;
    wc.add(2, 5000);  // a long-context angle
    const int n_tokens = int(wc.seq_row.size());
    std::vector<float> q_f, k_f, v_f;
    const auto q = random_half(size_t(n_tokens) * n_heads * head_dim, 1.0f, 21, &q_f);
    const auto k = random_half(size_t(n_tokens) * n_kv * head_dim, 1.0f, 22, &k_f);
    const auto v = random_half(size_t(n_tokens) * n_kv * head_dim, 1.0f, 23, &v_f);
    DeviceBuffer<__half> k_d(k), v_d(v);
    DeviceBuffer<int32_t> row_d(wc.seq_row), pos_d(wc.position);
    const KvWriteTokens tokens{n_tokens, row_d.get(), pos_d.get()};
    std::vector<float> q_ref = q_f, k_rot = k_f;
    ref::rope(q_ref.data(), wc.position.data(), n_tokens, n_heads, head_dim, table.as_read.data());
    ref::rope(k_rot.data(), wc.position.data(), n_tokens, n_kv, head_dim, table.as_read.data());
    for (const LayoutSpec& spec : kLayoutSpecs) {
      TestCache cache = make_cache(spec, n_kv, head_dim, wc.capacity, nullptr, 6);
      DeviceBuffer<__half> q_d(q);
      rope_kv_write_f16(q_d.get(), k_d.get(), v_d.get(), n_heads, table.device.get(), tokens, kLayer,
                        cache.device_view(), nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      EXPECT_TRUE(all_close(to_float(q_d.download()), q_ref, kRopeAtol, kRopeRtol)) << spec.name << " Q";
      EXPECT_TRUE(all_close(to_float(k_d.download()), k_f, 0, 0)) << spec.name << " K input must stay unrotated";
      std::vector<float> k_ref(cache.k.size(), NAN), v_ref(cache.v.size(), NAN);
      ref::kv_write(k_rot.data(), v_f.data(), wc.seq_row.data(), wc.position.data(), n_tokens, kLayer,
                    cache.host_view(k_ref.data(), v_ref.data(), DType::f32));
      expect_cache_matches(cache.k.download(), k_ref, kRopeAtol, kRopeRtol, std::string(spec.name) + " K");
      expect_cache_matches(cache.v.download(), v_ref, 0, 0, std::string(spec.name) + " V");
    }
  }
}

// The fused set's kernel: reads the QKV GEMM's rows [q heads | k heads | v heads], writes rotated q
// contiguous and rotated k / plain v into the cache. Llama-2-7B's head counts (32 q, 32 kv) and a
// GQA shape (32 q, 8 kv) so that rotation items and v units differ in number; every element of q
// and of the cache (untouched slots must keep the poison) checked against the CPU reference.
TEST_P(KvWrite, RopeFromQkvRowsMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  const int head_dim = GetParam();
  for (const RopeTable& table : rope_tables(head_dim)) {
    for (const auto [n_heads, n_kv] : {std::pair{32, 32}, std::pair{32, 8}, std::pair{8, 2}}) {
      SCOPED_TRACE(table.name);
      WriteCase wc;
      wc.capacity[2] = 5010;
      wc.add(2, 5000);  // a long-context angle
      const int n_tokens = int(wc.seq_row.size()), width = (n_heads + 2 * n_kv) * head_dim;
      std::vector<float> qkv_f;
      const auto qkv = random_half(size_t(n_tokens) * width, 1.0f, 31 + n_kv, &qkv_f);
      std::vector<float> q_ref(size_t(n_tokens) * n_heads * head_dim), k_rot(size_t(n_tokens) * n_kv * head_dim),
          v_f(size_t(n_tokens) * n_kv * head_dim);
      for (int t = 0; t < n_tokens; ++t) {
        const float* row = qkv_f.data() + size_t(t) * width;
        std::copy(row, row + n_heads * head_dim, q_ref.begin() + ptrdiff_t(t) * n_heads * head_dim);
        std::copy(row + n_heads * head_dim, row + (n_heads + n_kv) * head_dim, k_rot.begin() + ptrdiff_t(t) * n_kv * head_dim);
        std::copy(row + (n_heads + n_kv) * head_dim, row + width, v_f.begin() + ptrdiff_t(t) * n_kv * head_dim);
      }
      ref::rope(q_ref.data(), wc.position.data(), n_tokens, n_heads, head_dim, table.as_read.data());
      ref::rope(k_rot.data(), wc.position.data(), n_tokens, n_kv, head_dim, table.as_read.data());
      DeviceBuffer<__half> qkv_d(qkv);
      DeviceBuffer<int32_t> row_d(wc.seq_row), pos_d(wc.position);
      const KvWriteTokens tokens{n_tokens, row_d.get(), pos_d.get()};
      for (const LayoutSpec& spec : kLayoutSpecs) {
        const std::string what = std::string(spec.name) + " heads " + std::to_string(n_heads) + "/" + std::to_string(n_kv);
        TestCache cache = make_cache(spec, n_kv, head_dim, wc.capacity, nullptr, 6);
        DeviceBuffer<__half> q_d(size_t(n_tokens) * n_heads * head_dim);
        const std::vector<float> q_got = run_and_download(q_d, [&] {
          rope_qkv_kv_write_f16(qkv_d.get(), q_d.get(), n_heads, table.device.get(), tokens, kLayer, cache.device_view(),
                                nullptr);
        });
        EXPECT_TRUE(all_close(q_got, q_ref, kRopeAtol, kRopeRtol)) << what << " Q";
        std::vector<float> k_ref(cache.k.size(), NAN), v_ref(cache.v.size(), NAN);
        ref::kv_write(k_rot.data(), v_f.data(), wc.seq_row.data(), wc.position.data(), n_tokens, kLayer,
                      cache.host_view(k_ref.data(), v_ref.data(), DType::f32));
        expect_cache_matches(cache.k.download(), k_ref, kRopeAtol, kRopeRtol, what + " K");
        expect_cache_matches(cache.v.download(), v_ref, 0, 0, what + " V");
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(HeadDims, KvWrite, ::testing::Values(64, 128));

// ---- Prefill (flash and naive) ------------------------------------------------------------------

struct PrefillParam {
  int head_dim;
  int group;   // n_heads / n_kv_heads
  int prefix;  // cached tokens before this step's q_len
};

std::string prefill_name(const ::testing::TestParamInfo<PrefillParam>& info) {
  return "hd" + std::to_string(info.param.head_dim) + "_group" + std::to_string(info.param.group) + "_prefix" +
         std::to_string(info.param.prefix);
}

class AttentionPrefill : public ::testing::TestWithParam<PrefillParam> {};

// One varlen batch holding q_len 1, 3, 17, 129 and 257 (a decode row beside prompts), each after
// `prefix` cached tokens, through every layout; flash and naive against the reference.
TEST_P(AttentionPrefill, FlashAndNaiveMatchReference) {
  ROOFLM_REQUIRE_GPU();
  const int head_dim = GetParam().head_dim, group = GetParam().group, prefix = GetParam().prefix;
  const int n_kv = kHeads / group;
  const std::vector<int> q_lens{1, 3, 17, 129, 257};
  std::vector<int> kv_lens;
  for (int q_len : q_lens) kv_lens.push_back(prefix + q_len);
  const uint64_t seed = 1000 + head_dim * 100 + group * 10 + prefix;
  const LogicalKv logical = random_logical_kv(kv_lens, n_kv, head_dim, seed);
  const TestBatch tb = make_batch(q_lens, kv_lens);
  const AttnBatch batch = tb.batch();
  std::vector<float> q_f;
  const auto q = random_half(size_t(batch.n_tokens) * kHeads * head_dim, 1.5f, seed + 99, &q_f);
  DeviceBuffer<__half> q_d(q), out_d(q.size());

  ReferenceKv ref_kv = make_reference_kv(logical, kv_lens, n_kv, head_dim);
  std::vector<float> ref(q.size());
  ref::attention(nullptr, q_f.data(), ref.data(), tb.q_begin.data(), tb.kv_len.data(), batch.n_seqs, kHeads, 0,
                 /*window=*/0, ref_kv.view);

  CublasHandle cublas;
  for (const LayoutSpec& spec : kLayoutSpecs) {
    TestCache cache = make_cache(spec, n_kv, head_dim, kv_lens, &logical, seed + 7);
    const KvDeviceView kv = cache.device_view();
    ASSERT_TRUE(attn_prefill_flash_supported(head_dim, kHeads, n_kv));
    auto flash_scratch = scratch_of(attn_prefill_flash_scratch_bytes(batch, kHeads, kv));
    const auto flash = run_and_download(out_d, [&] {
      attn_prefill_flash_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, kv, flash_scratch.get(), nullptr);
    });
    EXPECT_TRUE(all_close(flash, ref, kAttnAtol, kAttnRtol)) << "flash " << spec.name;

    auto naive_scratch = scratch_of(attn_naive_scratch_bytes(batch, kHeads, kv));
    const auto naive = run_and_download(out_d, [&] {
      attn_naive_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, kv, naive_scratch.get(), cublas.handle, nullptr);
    });
    EXPECT_TRUE(all_close(naive, ref, kAttnAtol, kAttnRtol)) << "naive " << spec.name;
  }
}

std::vector<PrefillParam> prefill_params() {
  std::vector<PrefillParam> params;
  for (int head_dim : {64, 128})
    for (int group : {1, 4, 8})
      for (int prefix : {0, 37}) params.push_back({head_dim, group, prefix});
  return params;
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionPrefill, ::testing::ValuesIn(prefill_params()), prefill_name);

// ---- Decode (split-K) ---------------------------------------------------------------------------

struct DecodeParam {
  int head_dim;
  int group;
};

std::string decode_name(const ::testing::TestParamInfo<DecodeParam>& info) {
  return "hd" + std::to_string(info.param.head_dim) + "_group" + std::to_string(info.param.group);
}

class AttentionDecode : public ::testing::TestWithParam<DecodeParam> {};

// One query token per sequence, contexts from 1 to 2100 tokens (38 = a 37-token prefix + 1), every
// layout, automatic and forced split counts (1 = no merge; 5; 1000 = capped at one tile per split).
TEST_P(AttentionDecode, SplitKMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  const int head_dim = GetParam().head_dim, group = GetParam().group;
  const int n_kv = kHeads / group;
  const std::vector<int> kv_lens{1, 3, 17, 38, 129, 257, 2100};
  const std::vector<int> q_lens(kv_lens.size(), 1);
  const uint64_t seed = 5000 + head_dim * 10 + group;
  const LogicalKv logical = random_logical_kv(kv_lens, n_kv, head_dim, seed);
  const TestBatch tb = make_batch(q_lens, kv_lens);
  const AttnBatch batch = tb.batch();
  std::vector<float> q_f;
  const auto q = random_half(size_t(batch.n_tokens) * kHeads * head_dim, 1.5f, seed + 99, &q_f);
  DeviceBuffer<__half> q_d(q), out_d(q.size());

  ReferenceKv ref_kv = make_reference_kv(logical, kv_lens, n_kv, head_dim);
  std::vector<float> ref(q.size());
  ref::attention(nullptr, q_f.data(), ref.data(), tb.q_begin.data(), tb.kv_len.data(), batch.n_seqs, kHeads, 0,
                 /*window=*/0, ref_kv.view);

  for (const LayoutSpec& spec : kLayoutSpecs) {
    TestCache cache = make_cache(spec, n_kv, head_dim, kv_lens, &logical, seed + 7);
    const KvDeviceView kv = cache.device_view();
    ASSERT_TRUE(attn_decode_splitk_supported(head_dim, kHeads, n_kv, batch.max_q_len));
    for (int n_splits : {0, 1, 5, 1000}) {
      auto scratch = scratch_of(attn_decode_splitk_scratch_bytes(batch, kHeads, kv, n_splits));
      const auto got = run_and_download(out_d, [&] {
        attn_decode_splitk_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, kv, scratch.get(), nullptr, n_splits);
      });
      EXPECT_TRUE(all_close(got, ref, kAttnAtol, kAttnRtol)) << spec.name << " n_splits " << n_splits;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionDecode,
                         ::testing::Values(DecodeParam{64, 1}, DecodeParam{64, 4}, DecodeParam{64, 8},
                                           DecodeParam{128, 1}, DecodeParam{128, 4}, DecodeParam{128, 8}),
                         decode_name);

// ---- Selection and support ----------------------------------------------------------------------

TEST(AttentionSelection, NamesRoundTripAndUnknownNameIsInputError) {
  for (AttnKernel k : {AttnKernel::prefill_flash, AttnKernel::decode_splitk, AttnKernel::naive})
    EXPECT_EQ(attn_kernel_by_name(attn_kernel_name(k)), k);
  EXPECT_STREQ(attn_kernel_name(AttnKernel::decode_splitk), "attn_decode_splitk_f16");
  EXPECT_THROW(attn_kernel_by_name("attn_flash"), InputError);
}

TEST(AttentionSelection, SupportChecks) {
  EXPECT_FALSE(attn_prefill_flash_supported(96, 32, 8));
  EXPECT_FALSE(attn_prefill_flash_supported(128, 32, 5));
  EXPECT_FALSE(attn_decode_splitk_supported(96, 32, 8, 1));
  EXPECT_FALSE(attn_decode_splitk_supported(128, 32, 8, 2));   // decode takes one query per sequence
  EXPECT_FALSE(attn_decode_splitk_supported(128, 64, 2, 1));   // GQA group 32 > 16
  EXPECT_TRUE(attn_decode_splitk_supported(128, 32, 8, 1));
  EXPECT_TRUE(attn_naive_supported(96, 32, 8));
  EXPECT_FALSE(kv_write_supported(72));
}

TEST(AttentionSelection, UnsupportedHeadDimThrowsInputError) {
  KvDeviceView kv;
  kv.head_dim = 96;
  kv.n_kv_heads = 8;
  AttnBatch batch;
  batch.n_seqs = 1;
  batch.max_q_len = 1;
  batch.max_kv_len = 1;
  try {
    attn_decode_splitk_f16(nullptr, nullptr, batch, 32, 0, kv, nullptr, nullptr);
    FAIL() << "head_dim 96 was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("head_dim 96"), std::string::npos) << e.what();
  }
}

TEST(AttentionSelection, PagedBlockSizeMustBePowerOfTwo) {
  KvView view;
  view.layout = KvLayout::paged;
  view.geom = {1, 8, 128, 24, 10, DType::f16};
  try {
    make_kv_device_view(view, nullptr);
    FAIL() << "paged block_size 24 was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("power of two, got 24"), std::string::npos) << e.what();
  }
  view.geom.block_size = 16;
  const KvDeviceView kv = make_kv_device_view(view, nullptr);
  EXPECT_TRUE(kv_view_supported(kv));
  KvDeviceView odd = kv;
  odd.block_size = 12;
  EXPECT_FALSE(kv_view_supported(odd));
  EXPECT_FALSE(attn_supported(AttnKernel::naive, AttnBatch{}, 32, odd));
  odd.layout = KvLayout::contiguous;  // contiguous: block_size is max_seq_len, any value
  EXPECT_TRUE(kv_view_supported(odd));
}

TEST(AttentionSelection, DecodeWorkspaceFollowsSplits) {
  ROOFLM_REQUIRE_GPU();  // the automatic split count reads the SM count
  KvDeviceView kv;
  kv.head_dim = 128;
  kv.n_kv_heads = 8;
  AttnBatch batch;
  batch.n_seqs = 1;
  batch.max_q_len = 1;
  batch.max_kv_len = 4096;
  EXPECT_EQ(attn_decode_splitk_scratch_bytes(batch, 32, kv, 1), 0u);
  // 4 splits of 1024 keys: 32 heads x 4 x (128 acc + 1 lse) floats, each array 256-byte aligned
  EXPECT_EQ(attn_decode_splitk_scratch_bytes(batch, 32, kv, 4), size_t(32 * 4 * 128 * 4 + 512));
  EXPECT_GT(attn_decode_splitk_num_splits(batch, 32, kv), 1);
}

}  // namespace
}  // namespace rooflm::attn
