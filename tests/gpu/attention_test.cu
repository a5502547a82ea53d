// GPU tests of kernels/attention: kv_write, rope_kv_write, attn_prefill_flash_f16, attn_naive_f16 and
// attn_decode_splitk_f16 against the CPU references (kernels/reference), on fresh random fp16 inputs,
// for contiguous and paged caches (block sizes 8/16/32, shuffled block tables). Every cache element
// that no sequence owns (other layer, unused slots, positions past kv_len, spare blocks) is NaN, and
// every output is NaN-poisoned before the kernel runs. Skips without a CUDA device.
//   build-<name>/tests/gpu/rooflm_gpu_tests --gtest_filter='Attention*:KvWrite*'
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "kernels/attention/attention.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/rope_ref.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm::attn {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

constexpr int kLayers = 2;
constexpr int kLayer = 1;  // layer 0 stays NaN: proves the layer offset
constexpr int kHeads = 8;
constexpr uint16_t kPoisonBits = 0xFFFF;  // fp16 NaN, what DeviceBuffer::poison() writes

// Attention outputs: P is rounded to fp16 before the P V product and V is fp16 (2^-11 relative each),
// plus the fp16 rounding of the output itself; the reference is double on the same fp16 inputs.
constexpr double kAttnAtol = 2e-3, kAttnRtol = 2e-2;
// RoPE outputs: one fp16 rounding (2^-11 relative) plus fp32 cos/sin of angles up to ~5000 rad
// (inv_freq in fp32 as Hugging Face computes it: < 1e-3 rad of angle error).
constexpr double kRopeAtol = 2e-3, kRopeRtol = 4e-3;

__half poison_half() {
  __half_raw raw;
  raw.x = kPoisonBits;
  return __half(raw);
}
uint16_t bits_of(__half h) {
  uint16_t b;
  std::memcpy(&b, &h, sizeof b);
  return b;
}

struct LayoutSpec {
  KvLayout layout;
  int block_size;  // paged only
  const char* name;
};
const LayoutSpec kLayoutSpecs[] = {
    {KvLayout::contiguous, 0, "contiguous"},
    {KvLayout::paged, 8, "paged8"},
    {KvLayout::paged, 16, "paged16"},
    {KvLayout::paged, 32, "paged32"},
};

// Per sequence, its logical K and V: [kv_len, n_kv_heads, head_dim].
struct LogicalKv {
  std::vector<std::vector<__half>> k, v;
};

LogicalKv random_logical_kv(const std::vector<int>& kv_lens, int n_kv, int head_dim, uint64_t seed) {
  LogicalKv kv;
  for (size_t i = 0; i < kv_lens.size(); ++i) {
    const size_t n = size_t(kv_lens[i]) * n_kv * head_dim;
    kv.k.push_back(random_half(n, 1.0f, seed + 2 * i));
    kv.v.push_back(random_half(n, 1.0f, seed + 2 * i + 1));
  }
  return kv;
}

// Float cache holding exactly the logical data: one layer, slot i = sequence i (reference input).
struct ReferenceKv {
  std::vector<float> k, v;
  std::vector<int32_t> tables;
  KvView view;
};

ReferenceKv make_reference_kv(const LogicalKv& logical, const std::vector<int>& kv_lens, int n_kv, int head_dim) {
  ReferenceKv r;
  const int64_t max_len = *std::max_element(kv_lens.begin(), kv_lens.end());
  const int64_t row = int64_t(n_kv) * head_dim;
  const size_t n_seqs = kv_lens.size();
  r.k.assign(n_seqs * max_len * row, NAN);
  r.v.assign(n_seqs * max_len * row, NAN);
  for (size_t i = 0; i < n_seqs; ++i) {
    for (size_t e = 0; e < logical.k[i].size(); ++e) {
      r.k[i * max_len * row + e] = __half2float(logical.k[i][e]);
      r.v[i * max_len * row + e] = __half2float(logical.v[i][e]);
    }
    r.tables.push_back(int32_t(i));
  }
  r.view.layout = KvLayout::contiguous;
  r.view.geom = {1, n_kv, head_dim, max_len, int64_t(n_seqs), DType::f32};
  r.view.storage = {r.k.data(), r.v.data()};
  r.view.block_tables = r.tables.data();
  r.view.max_blocks_per_seq = 1;
  r.view.n_seqs = int32_t(n_seqs);
  return r;
}

// A device cache of one layout with room for capacity[i] tokens of sequence i, NaN everywhere except
// layer kLayer positions [0, filled[i]) of each sequence, which hold the logical data.
struct TestCache {
  KvGeometry geom;
  KvLayout layout = KvLayout::contiguous;
  std::vector<int32_t> tables;
  int32_t max_blocks = 0;
  int32_t n_seqs = 0;
  DeviceBuffer<__half> k, v;
  DeviceBuffer<int32_t> tables_d;

  KvView host_view(void* k_storage, void* v_storage, DType dtype) const {
    KvView view;
    view.layout = layout;
    view.geom = geom;
    view.geom.dtype = dtype;
    view.storage = {k_storage, v_storage};
    view.block_tables = tables.data();
    view.max_blocks_per_seq = max_blocks;
    view.n_seqs = n_seqs;
    return view;
  }
  KvDeviceView device_view() const {
    return make_kv_device_view(host_view(k.get(), v.get(), DType::f16), tables_d.get());
  }
};

TestCache make_cache(const LayoutSpec& spec, int n_kv, int head_dim, const std::vector<int>& capacity,
                     const LogicalKv* logical, uint64_t seed) {
  TestCache c;
  std::mt19937_64 rng(seed);
  const int n_seqs = int(capacity.size());
  const int max_cap = *std::max_element(capacity.begin(), capacity.end());
  c.layout = spec.layout;
  c.n_seqs = n_seqs;
  if (spec.layout == KvLayout::contiguous) {
    const int n_slots = n_seqs + 2;  // two spare slots stay NaN
    std::vector<int32_t> slots(static_cast<size_t>(n_slots));
    std::iota(slots.begin(), slots.end(), 0);
    std::shuffle(slots.begin(), slots.end(), rng);
    c.geom = {kLayers, n_kv, head_dim, (max_cap + 5 + 7) / 8 * 8, n_slots, DType::f16};
    c.max_blocks = 1;
    c.tables.assign(slots.begin(), slots.begin() + n_seqs);
  } else {
    const int bs = spec.block_size;
    int total = 3;  // spare blocks stay NaN
    int max_blocks = 0;
    for (int cap : capacity) {
      total += (cap + bs - 1) / bs;
      max_blocks = std::max(max_blocks, (cap + bs - 1) / bs);
    }
    std::vector<int32_t> blocks(static_cast<size_t>(total));
    std::iota(blocks.begin(), blocks.end(), 0);
    std::shuffle(blocks.begin(), blocks.end(), rng);
    c.geom = {kLayers, n_kv, head_dim, bs, total, DType::f16};
    c.max_blocks = max_blocks + 1;  // one trailing -1 entry in every row
    c.tables.assign(size_t(n_seqs) * c.max_blocks, -1);
    size_t next = 0;
    for (int i = 0; i < n_seqs; ++i)
      for (int b = 0; b < (capacity[size_t(i)] + bs - 1) / bs; ++b) c.tables[size_t(i) * c.max_blocks + b] = blocks[next++];
  }
  const size_t elems = size_t(c.geom.n_layers * c.geom.num_blocks * c.geom.elems_per_block());
  std::vector<__half> k_host(elems, poison_half()), v_host(elems, poison_half());
  if (logical) {
    const KvView view = c.host_view(k_host.data(), v_host.data(), DType::f16);
    const int64_t row = int64_t(n_kv) * head_dim;
    for (int i = 0; i < n_seqs; ++i) {
      const int64_t filled = int64_t(logical->k[size_t(i)].size()) / row;
      for (int64_t pos = 0; pos < filled; ++pos) {
        const int64_t off = view.offset(i, kLayer, pos);
        std::copy_n(logical->k[size_t(i)].begin() + pos * row, row, k_host.begin() + off);
        std::copy_n(logical->v[size_t(i)].begin() + pos * row, row, v_host.begin() + off);
      }
    }
  }
  c.k = DeviceBuffer<__half>(k_host);
  c.v = DeviceBuffer<__half>(v_host);
  c.tables_d = DeviceBuffer<int32_t>(c.tables);
  return c;
}

struct TestBatch {
  std::vector<int32_t> q_begin, kv_len;
  DeviceBuffer<int32_t> q_begin_d, kv_len_d;

  AttnBatch batch() const {
    AttnBatch b;
    b.n_seqs = int32_t(kv_len.size());
    b.n_tokens = q_begin.back();
    for (size_t i = 0; i < kv_len.size(); ++i) {
      b.max_q_len = std::max(b.max_q_len, q_begin[i + 1] - q_begin[i]);
      b.max_kv_len = std::max(b.max_kv_len, kv_len[i]);
    }
    b.q_begin = q_begin_d.get();
    b.kv_len = kv_len_d.get();
    b.q_begin_host = q_begin.data();
    b.kv_len_host = kv_len.data();
    return b;
  }
};

TestBatch make_batch(const std::vector<int>& q_lens, const std::vector<int>& kv_lens) {
  TestBatch t;
  t.q_begin.push_back(0);
  for (int q_len : q_lens) t.q_begin.push_back(t.q_begin.back() + q_len);
  t.kv_len.assign(kv_lens.begin(), kv_lens.end());
  t.q_begin_d = DeviceBuffer<int32_t>(t.q_begin);
  t.kv_len_d = DeviceBuffer<int32_t>(t.kv_len);
  return t;
}

struct CublasHandle {
  cublasHandle_t handle = nullptr;
  CublasHandle() { ROOFLM_CUBLAS_CHECK(cublasCreate(&handle)); }
  ~CublasHandle() { cublasDestroy(handle); }
};

DeviceBuffer<char> scratch_of(size_t bytes) { return DeviceBuffer<char>(std::max<size_t>(bytes, 1)); }

std::vector<float> run_and_download(DeviceBuffer<__half>& out, const std::function<void()>& launch) {
  out.poison();
  launch();
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  return to_float(out.download());
}

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

TEST_P(KvWrite, RopeFusedRotatesQInPlaceAndKIntoTheCache) {
  ROOFLM_REQUIRE_GPU();
  const int head_dim = GetParam(), n_kv = 2, n_heads = 8;
  const double theta = 10000.0;
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
  ref::rope(q_ref.data(), wc.position.data(), n_tokens, n_heads, head_dim, theta);
  ref::rope(k_rot.data(), wc.position.data(), n_tokens, n_kv, head_dim, theta);
  for (const LayoutSpec& spec : kLayoutSpecs) {
    TestCache cache = make_cache(spec, n_kv, head_dim, wc.capacity, nullptr, 6);
    DeviceBuffer<__half> q_d(q);
    rope_kv_write_f16(q_d.get(), k_d.get(), v_d.get(), n_heads, theta, tokens, kLayer, cache.device_view(), nullptr);
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

// The fused set's kernel: reads the QKV GEMM's rows [q heads | k heads | v heads], writes rotated q
// contiguous and rotated k / plain v into the cache. Llama-2-7B's head counts (32 q, 32 kv) and a
// GQA shape (32 q, 8 kv) so that rotation items and v units differ in number; every element of q
// and of the cache (untouched slots must keep the poison) checked against the CPU reference.
TEST_P(KvWrite, RopeFromQkvRowsMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  const int head_dim = GetParam();
  const double theta = 10000.0;
  for (const auto [n_heads, n_kv] : {std::pair{32, 32}, std::pair{32, 8}, std::pair{8, 2}}) {
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
    ref::rope(q_ref.data(), wc.position.data(), n_tokens, n_heads, head_dim, theta);
    ref::rope(k_rot.data(), wc.position.data(), n_tokens, n_kv, head_dim, theta);
    DeviceBuffer<__half> qkv_d(qkv);
    DeviceBuffer<int32_t> row_d(wc.seq_row), pos_d(wc.position);
    const KvWriteTokens tokens{n_tokens, row_d.get(), pos_d.get()};
    for (const LayoutSpec& spec : kLayoutSpecs) {
      const std::string what = std::string(spec.name) + " heads " + std::to_string(n_heads) + "/" + std::to_string(n_kv);
      TestCache cache = make_cache(spec, n_kv, head_dim, wc.capacity, nullptr, 6);
      DeviceBuffer<__half> q_d(size_t(n_tokens) * n_heads * head_dim);
      const std::vector<float> q_got = run_and_download(q_d, [&] {
        rope_qkv_kv_write_f16(qkv_d.get(), q_d.get(), n_heads, theta, tokens, kLayer, cache.device_view(), nullptr);
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
  ref::attention(q_f.data(), ref.data(), tb.q_begin.data(), tb.kv_len.data(), batch.n_seqs, kHeads, 0, ref_kv.view);

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
  ref::attention(q_f.data(), ref.data(), tb.q_begin.data(), tb.kv_len.data(), batch.n_seqs, kHeads, 0, ref_kv.view);

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
