// Sliding-window attention (Mistral: the query at position p sees keys [p - window + 1, p]) in
// attn_prefill_flash_f16, attn_naive_f16 and attn_decode_splitk_f16 against the CPU reference
// (reference/attention.h), on fresh random fp16 inputs, contiguous and paged caches (block sizes
// 8/16/32), head_dim 64 and 128. Windows of 1 key, below, at, across and above the 128-key flash
// tile and the 64-key decode tile; prompts of 1, 3, 17, 129 and 257 tokens (longer than the
// window), alone or as chunks after a cached prefix, and decode contexts of 1 to 2100 tokens.
// Every cache position that no query's window reaches is NaN, and with a paged cache the blocks
// wholly left of every window are dropped from the block table (entry -1): a kernel that read one
// would produce NaN or fault. The reference cache is poisoned the same way. Tolerances as in
// attention_test.cu (attention_test_util.h).
//   build-<name>/tests/gpu/rooflm_gpu_tests --gtest_filter='AttentionWindow*'
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "kernels/attention/attention.h"
#include "reference/attention.h"
#include "tests/gpu/attention_test_util.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm::attn {
namespace {

using namespace testkit;  // NOLINT: the fixtures of this suite
using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;

// The first cache position any query of a sequence can see: the first query's window start.
std::vector<int> first_needed(const std::vector<int>& q_lens, const std::vector<int>& kv_lens, int window) {
  std::vector<int> first;
  for (size_t i = 0; i < q_lens.size(); ++i) first.push_back(std::max(0, kv_lens[i] - q_lens[i] - window + 1));
  return first;
}

struct WindowParam {
  int head_dim;
  int group;   // n_heads / n_kv_heads
  int window;
  int prefix;  // cached tokens before this step's chunk
};

std::string window_name(const ::testing::TestParamInfo<WindowParam>& info) {
  return "hd" + std::to_string(info.param.head_dim) + "_group" + std::to_string(info.param.group) + "_window" +
         std::to_string(info.param.window) + "_prefix" + std::to_string(info.param.prefix);
}

class AttentionWindowPrefill : public ::testing::TestWithParam<WindowParam> {};

// One varlen batch of chunks of 1, 3, 17, 129 and 257 queries after `prefix` cached tokens (prefix 0:
// whole prompts; 37 and 300: chunked prefill on cached KV, the window reaching back into the
// cache), flash and naive against the reference, every layout.
TEST_P(AttentionWindowPrefill, FlashAndNaiveMatchReference) {
  ROOFLM_REQUIRE_GPU();
  const WindowParam p = GetParam();
  const int n_kv = kHeads / p.group;
  const std::vector<int> q_lens{1, 3, 17, 129, 257};
  std::vector<int> kv_lens;
  for (int q_len : q_lens) kv_lens.push_back(p.prefix + q_len);
  const std::vector<int> first = first_needed(q_lens, kv_lens, p.window);
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  const LogicalKv logical = random_logical_kv(kv_lens, n_kv, p.head_dim, seed);
  TestBatch tb = make_batch(q_lens, kv_lens);
  tb.window = p.window;
  const AttnBatch batch = tb.batch();
  std::vector<float> q_f;
  const auto q = random_half(size_t(batch.n_tokens) * kHeads * p.head_dim, 1.5f, seed + 99, &q_f);
  DeviceBuffer<__half> q_d(q), out_d(q.size());

  ReferenceKv ref_kv = make_reference_kv(logical, kv_lens, n_kv, p.head_dim, first);
  std::vector<float> ref(q.size());
  ref::attention(nullptr, q_f.data(), ref.data(), tb.q_begin.data(), tb.kv_len.data(), batch.n_seqs, kHeads, 0,
                 p.window, ref_kv.view);

  CublasHandle cublas;
  for (const LayoutSpec& spec : kLayoutSpecs) {
    TestCache cache = make_cache(spec, n_kv, p.head_dim, kv_lens, &logical, seed + 7, first);
    const KvDeviceView kv = cache.device_view();
    ASSERT_TRUE(attn_supported(AttnKernel::prefill_flash, batch, kHeads, kv));
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

std::vector<WindowParam> window_prefill_params() {
  std::vector<WindowParam> params;
  for (int head_dim : {64, 128})
    for (int group : {1, 4})
      for (int window : {1, 100, 128, 200})  // one key; below, at and above the 128-key flash tile
        for (int prefix : {0, 37, 300}) params.push_back({head_dim, group, window, prefix});
  return params;
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionWindowPrefill, ::testing::ValuesIn(window_prefill_params()), window_name);

class AttentionWindowDecode : public ::testing::TestWithParam<WindowParam> {};

// One query per sequence at contexts 1 to 2100 (shorter, equal to and longer than the window),
// automatic and forced split counts (1, 5, 1000: capped at one tile per split), every layout.
TEST_P(AttentionWindowDecode, SplitKMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  const WindowParam p = GetParam();
  const int n_kv = kHeads / p.group;
  std::vector<int> kv_lens{1, 3, 17, 38, 129, 257, 2100};
  kv_lens.push_back(p.window);      // context exactly the window
  kv_lens.push_back(p.window + 1);  // one key falls out
  const std::vector<int> q_lens(kv_lens.size(), 1);
  const std::vector<int> first = first_needed(q_lens, kv_lens, p.window);
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  const LogicalKv logical = random_logical_kv(kv_lens, n_kv, p.head_dim, seed);
  TestBatch tb = make_batch(q_lens, kv_lens);
  tb.window = p.window;
  const AttnBatch batch = tb.batch();
  std::vector<float> q_f;
  const auto q = random_half(size_t(batch.n_tokens) * kHeads * p.head_dim, 1.5f, seed + 99, &q_f);
  DeviceBuffer<__half> q_d(q), out_d(q.size());

  ReferenceKv ref_kv = make_reference_kv(logical, kv_lens, n_kv, p.head_dim, first);
  std::vector<float> ref(q.size());
  ref::attention(nullptr, q_f.data(), ref.data(), tb.q_begin.data(), tb.kv_len.data(), batch.n_seqs, kHeads, 0,
                 p.window, ref_kv.view);

  CublasHandle cublas;
  for (const LayoutSpec& spec : kLayoutSpecs) {
    TestCache cache = make_cache(spec, n_kv, p.head_dim, kv_lens, &logical, seed + 7, first);
    const KvDeviceView kv = cache.device_view();
    ASSERT_TRUE(attn_supported(AttnKernel::decode_splitk, batch, kHeads, kv));
    for (int n_splits : {0, 1, 5, 1000}) {
      auto scratch = scratch_of(attn_decode_splitk_scratch_bytes(batch, kHeads, kv, n_splits));
      const auto got = run_and_download(out_d, [&] {
        attn_decode_splitk_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, kv, scratch.get(), nullptr, n_splits);
      });
      EXPECT_TRUE(all_close(got, ref, kAttnAtol, kAttnRtol)) << spec.name << " n_splits " << n_splits;
    }
    // The naive kernel serves decode steps of the naive set.
    auto naive_scratch = scratch_of(attn_naive_scratch_bytes(batch, kHeads, kv));
    const auto naive = run_and_download(out_d, [&] {
      attn_naive_f16(q_d.get(), out_d.get(), batch, kHeads, kLayer, kv, naive_scratch.get(), cublas.handle, nullptr);
    });
    EXPECT_TRUE(all_close(naive, ref, kAttnAtol, kAttnRtol)) << "naive " << spec.name;
  }
}

std::vector<WindowParam> window_decode_params() {
  std::vector<WindowParam> params;
  for (int head_dim : {64, 128})
    for (int group : {1, 4, 8})
      for (int window : {1, 64, 100, 1000})  // one key; the 64-key tile; across tiles; many splits
        params.push_back({head_dim, group, window, 0});
  return params;
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionWindowDecode, ::testing::ValuesIn(window_decode_params()), window_name);

// The split plan covers only the window: its workspace follows min(max_kv_len, window).
TEST(AttentionWindowSelection, DecodeWorkspaceFollowsTheWindow) {
  KvDeviceView kv;
  kv.head_dim = 128;
  kv.n_kv_heads = 8;
  AttnBatch batch;
  batch.n_seqs = 1;
  batch.max_q_len = 1;
  batch.max_kv_len = 4096;
  // 4 splits of 1024 keys: 32 heads x 4 x (128 acc + 1 lse) floats, each array 256-byte aligned
  EXPECT_EQ(attn_decode_splitk_scratch_bytes(batch, 32, kv, 4), size_t(32 * 4 * 128 * 4 + 512));
  batch.window = 128;  // 2 tiles of 64 keys: at most 2 splits
  EXPECT_EQ(attn_decode_splitk_scratch_bytes(batch, 32, kv, 4), size_t(32 * 2 * 128 * 4 + 256));
  batch.window = 64;  // one tile: one split, no workspace
  EXPECT_EQ(attn_decode_splitk_scratch_bytes(batch, 32, kv, 4), 0u);
  batch.window = 8192;  // wider than the context: the context decides
  EXPECT_EQ(attn_decode_splitk_scratch_bytes(batch, 32, kv, 4), size_t(32 * 4 * 128 * 4 + 512));
}

TEST(AttentionWindowSelection, NaiveScratchFollowsTheWindow) {
  KvDeviceView kv;
  kv.head_dim = 128;
  kv.n_kv_heads = 8;
  AttnBatch batch;
  batch.n_seqs = 1;
  batch.max_q_len = 16;
  batch.max_kv_len = 4096;
  const size_t full = attn_naive_scratch_bytes(batch, 32, kv);
  batch.window = 100;  // S covers at most max_q_len + window - 1 = 115 keys
  const size_t windowed = attn_naive_scratch_bytes(batch, 32, kv);
  EXPECT_LT(windowed, full);
  batch.window = 0;
  batch.max_kv_len = 115;
  EXPECT_EQ(attn_naive_scratch_bytes(batch, 32, kv), windowed);
}

TEST(AttentionWindowSelection, NegativeWindowIsInputError) {
  KvDeviceView kv;
  kv.head_dim = 128;
  kv.n_kv_heads = 8;
  AttnBatch batch;
  batch.n_seqs = 1;
  batch.max_q_len = 1;
  batch.max_kv_len = 1;
  batch.window = -1;
  for (const auto& launch : {std::function<void()>([&] {
                               attn_decode_splitk_f16(nullptr, nullptr, batch, 32, 0, kv, nullptr, nullptr);
                             }),
                             std::function<void()>([&] {
                               attn_naive_f16(nullptr, nullptr, batch, 32, 0, kv, nullptr, nullptr, nullptr);
                             })}) {
    try {
      launch();
      FAIL() << "window -1 was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("window must be >= 0"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace rooflm::attn
