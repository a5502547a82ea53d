// Test fixtures of the attention GPU tests (attention_test.cu, attention_window_test.cu): random
// logical K/V per sequence, the fp32 reference cache, a NaN-poisoned device cache of either layout
// (contiguous slots or shuffled paged blocks), varlen batches, and the tolerances with their reasons.
#pragma once

#include <cuda_fp16.h>
#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/kv_view.h"
#include "kernels/attention/attention.h"
#include "kernels/common/cuda_check.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm::attn::testkit {

using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

inline constexpr int kLayers = 2;
inline constexpr int kLayer = 1;  // layer 0 stays NaN: proves the layer offset
inline constexpr int kHeads = 8;
inline constexpr uint16_t kPoisonBits = 0xFFFF;  // fp16 NaN, what DeviceBuffer::poison() writes

// Attention outputs: P is rounded to fp16 before the P V product and V is fp16 (2^-11 relative each),
// plus the fp16 rounding of the output itself; the reference is fp32 on the same fp16 inputs
// (~1e-6 relative), far inside this.
inline constexpr double kAttnAtol = 2e-3, kAttnRtol = 2e-2;
// RoPE outputs: one fp16 rounding (2^-11 relative) plus fp32 cos/sin of fp32 angles up to ~5000 rad
// (position * inv_freq rounded to fp32: < 3e-4 rad of angle error; the reference reads the same
// fp32-rounded table, so the table's own rounding is not part of the error).
inline constexpr double kRopeAtol = 2e-3, kRopeRtol = 4e-3;

inline __half poison_half() {
  __half_raw raw;
  raw.x = kPoisonBits;
  return __half(raw);
}
inline uint16_t bits_of(__half h) {
  uint16_t b;
  std::memcpy(&b, &h, sizeof b);
  return b;
}

struct LayoutSpec {
  KvLayout layout;
  int block_size;  // paged only
  const char* name;
};
inline const LayoutSpec kLayoutSpecs[] = {
    {KvLayout::contiguous, 0, "contiguous"},
    {KvLayout::paged, 8, "paged8"},
    {KvLayout::paged, 16, "paged16"},
    {KvLayout::paged, 32, "paged32"},
};

// Per sequence, its logical K and V: [kv_len, n_kv_heads, head_dim].
struct LogicalKv {
  std::vector<std::vector<__half>> k, v;
};

inline LogicalKv random_logical_kv(const std::vector<int>& kv_lens, int n_kv, int head_dim, uint64_t seed) {
  LogicalKv kv;
  for (size_t i = 0; i < kv_lens.size(); ++i) {
    const size_t n = size_t(kv_lens[i]) * n_kv * head_dim;
    kv.k.push_back(random_half(n, 1.0f, seed + 2 * i));
    kv.v.push_back(random_half(n, 1.0f, seed + 2 * i + 1));
  }
  return kv;
}

// Float cache holding exactly the logical data: one layer, slot i = sequence i (reference input).
// Positions below first_kept[i] (if given) are NaN: what no query's window reaches.
struct ReferenceKv {
  std::vector<float> k, v;
  std::vector<int32_t> tables;
  KvView view;
};

inline ReferenceKv make_reference_kv(const LogicalKv& logical, const std::vector<int>& kv_lens, int n_kv, int head_dim,
                                     const std::vector<int>& first_kept = {}) {
  ReferenceKv r;
  const int64_t max_len = *std::max_element(kv_lens.begin(), kv_lens.end());
  const int64_t row = int64_t(n_kv) * head_dim;
  const size_t n_seqs = kv_lens.size();
  r.k.assign(n_seqs * max_len * row, NAN);
  r.v.assign(n_seqs * max_len * row, NAN);
  for (size_t i = 0; i < n_seqs; ++i) {
    const size_t kept_from = first_kept.empty() ? 0 : size_t(first_kept[i]) * size_t(row);
    for (size_t e = kept_from; e < logical.k[i].size(); ++e) {
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
// layer kLayer positions [first_kept[i], filled[i]) of each sequence, which hold the logical data
// (first_kept empty: from 0). Paged: a block wholly below first_kept[i] is left out of the table
// (entry -1, its storage NaN), as a sliding-window cache may free it.
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

inline TestCache make_cache(const LayoutSpec& spec, int n_kv, int head_dim, const std::vector<int>& capacity,
                            const LogicalKv* logical, uint64_t seed, const std::vector<int>& first_kept = {}) {
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
      const int64_t kept_from = first_kept.empty() ? 0 : first_kept[size_t(i)];
      for (int64_t pos = kept_from; pos < filled; ++pos) {
        const int64_t off = view.offset(i, kLayer, pos);
        std::copy_n(logical->k[size_t(i)].begin() + pos * row, row, k_host.begin() + off);
        std::copy_n(logical->v[size_t(i)].begin() + pos * row, row, v_host.begin() + off);
      }
    }
  }
  if (spec.layout == KvLayout::paged && !first_kept.empty())
    for (int i = 0; i < n_seqs; ++i)
      for (int b = 0; (b + 1) * spec.block_size <= first_kept[size_t(i)]; ++b)
        c.tables[size_t(i) * c.max_blocks + b] = -1;
  c.k = DeviceBuffer<__half>(k_host);
  c.v = DeviceBuffer<__half>(v_host);
  c.tables_d = DeviceBuffer<int32_t>(c.tables);
  return c;
}

struct TestBatch {
  std::vector<int32_t> q_begin, kv_len;
  DeviceBuffer<int32_t> q_begin_d, kv_len_d;
  int32_t window = 0;

  AttnBatch batch() const {
    AttnBatch b;
    b.window = window;
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

inline TestBatch make_batch(const std::vector<int>& q_lens, const std::vector<int>& kv_lens) {
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

inline DeviceBuffer<char> scratch_of(size_t bytes) { return DeviceBuffer<char>(std::max<size_t>(bytes, 1)); }

inline std::vector<float> run_and_download(DeviceBuffer<__half>& out, const std::function<void()>& launch) {
  out.poison();
  launch();
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  return to_float(out.download());
}

}  // namespace rooflm::attn::testkit
