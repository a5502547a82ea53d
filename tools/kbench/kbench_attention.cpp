// kbench attention kernels at Llama-2-7B's heads (32 query heads of 128):
//   prefill: attn_prefill_flash_f16 and attn_naive_f16, one causal sequence of 512 / 2048 / 4096
//            tokens (MHA), contiguous, and the flash kernel on paged16 at 4096;
//            FLOPs = 4 * head_dim * heads * (unmasked (q, k) pairs); bytes = q, k, v read once, out written once.
//   decode:  attn_decode_splitk_f16, batch 1 / 8 / 32 x context 1024 / 4096, 8 and 32 kv heads, an
//            fp16 cache contiguous and paged (block 16 and 32 shuffled over the pool; block 16 in
//            order, which separates the table lookup from the scattering of blocks), int8 and fp8
//            caches contiguous and paged16; bytes = K + V of every context token (codes and their
//            fp32 scales) + q + out. The launches rotate over enough layers of the cache that the
//            KV read is at least 3x the L2.
// Each case is checked first against ref::attention (reference/attention.h) on layer 0 of the same
// cache, every element, with the GPU tests' tolerance 2e-3 + 2e-2 |ref| (attention_test_util.h).
// Names: <kernel>/tokens:<n>/layout:<layout>   and   <kernel>/kv:<dtype>/layout:<layout>/kv_heads:<h>/batch:<b>/ctx:<c>
#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/kv_view.h"
#include "kernels/attention/attention.h"
#include "kernels/common/cuda_check.h"
#include "reference/attention.h"
#include "tools/kbench/kbench_register.h"
#include "tools/kbench/kbench_timing.h"

namespace rooflm::kbench {
namespace {

using attn::AttnBatch;
using attn::AttnKernel;
using attn::KvDeviceView;

constexpr int kHeads = 32, kHeadDim = 128;
constexpr int kMaxLayers = 128;
constexpr double kAtol = 2e-3, kRtol = 2e-2;
constexpr float kCodeScale = 0.01f;  // every quantised row's scale: values code * 0.01

struct Layout {
  KvLayout layout = KvLayout::contiguous;
  int block_size = 16;  // paged only
  bool shuffled = true;
  std::string name() const {
    if (layout == KvLayout::contiguous) return "contiguous";
    return "paged" + std::to_string(block_size) + (shuffled ? "" : "_ordered");
  }
};

// One varlen batch of n_seqs sequences, q_len query tokens each, all at context ctx.
struct Batch {
  std::vector<int32_t> q_begin, kv_len;
  AttnBatch b;
  Batch(DeviceArena& arena, int n_seqs, int q_len, int ctx) {
    for (int i = 0; i <= n_seqs; ++i) q_begin.push_back(i * q_len);
    kv_len.assign(size_t(n_seqs), ctx);
    auto* q_begin_d = static_cast<int32_t*>(arena.bytes(q_begin.size() * sizeof(int32_t)));
    auto* kv_len_d = static_cast<int32_t*>(arena.bytes(kv_len.size() * sizeof(int32_t)));
    ROOFLM_CUDA_CHECK(cudaMemcpy(q_begin_d, q_begin.data(), q_begin.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    ROOFLM_CUDA_CHECK(cudaMemcpy(kv_len_d, kv_len.data(), kv_len.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    b.n_seqs = n_seqs;
    b.n_tokens = n_seqs * q_len;
    b.max_q_len = q_len;
    b.max_kv_len = ctx;
    b.q_begin = q_begin_d;
    b.kv_len = kv_len_d;
    b.q_begin_host = q_begin.data();
    b.kv_len_host = kv_len.data();
  }
};

// Random finite codes, one byte each: int8 in [-127, 127]; e4m3 with the exponent's low bit cleared
// (never the all-ones exponent of NaN).
std::vector<uint8_t> random_codes(size_t count, DType dtype, uint64_t seed) {
  std::vector<uint8_t> codes(count);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < count; i += 8) {
    uint64_t z = rng();
    for (size_t j = i; j < std::min(count, i + 8); ++j, z >>= 8) {
      const uint32_t b = uint32_t(z & 0xff);
      codes[j] = dtype == DType::f8e4m3 ? uint8_t(b & 0xF7u) : uint8_t(int(b % 255u) - 127);
    }
  }
  return codes;
}

// A cache of n_layers layers holding n_seqs sequences of ctx tokens: fp16 values, or codes with
// every scale kCodeScale. The host view describes the same layout over host storage (set_host).
struct Cache {
  KvView view;  // geometry and host block tables; storage set by device_view / host_layer0
  std::vector<int32_t> tables;
  KvDeviceView device;

  Cache(DeviceArena& arena, Layout layout, int n_layers, int n_seqs, int ctx, int n_kv, DType dtype) {
    const int bs = layout.layout == KvLayout::contiguous ? (ctx + 15) / 16 * 16 : layout.block_size;
    const int blocks_per_seq = (ctx + bs - 1) / bs;
    view.layout = layout.layout;
    view.geom = {n_layers, n_kv, kHeadDim, bs, int64_t(n_seqs) * blocks_per_seq, dtype};
    view.max_blocks_per_seq = blocks_per_seq;
    view.n_seqs = n_seqs;
    tables.resize(size_t(n_seqs) * blocks_per_seq);
    std::iota(tables.begin(), tables.end(), 0);
    if (layout.shuffled && layout.layout == KvLayout::paged) std::shuffle(tables.begin(), tables.end(), std::mt19937_64(42));
    view.block_tables = tables.data();
    const size_t elems = size_t(n_layers) * size_t(view.geom.num_blocks) * size_t(view.geom.elems_per_block());
    KvStorage storage;
    if (view.geom.quantized()) {
      storage.k = arena.bytes(elems);
      storage.v = arena.bytes(elems);
      const std::vector<uint8_t> k = random_codes(elems, dtype, 1), v = random_codes(elems, dtype, 2);
      ROOFLM_CUDA_CHECK(cudaMemcpy(storage.k, k.data(), elems, cudaMemcpyHostToDevice));
      ROOFLM_CUDA_CHECK(cudaMemcpy(storage.v, v.data(), elems, cudaMemcpyHostToDevice));
      const std::vector<float> scales(elems / kHeadDim, kCodeScale);
      storage.k_scale = static_cast<float*>(arena.bytes(scales.size() * sizeof(float)));
      storage.v_scale = static_cast<float*>(arena.bytes(scales.size() * sizeof(float)));
      ROOFLM_CUDA_CHECK(cudaMemcpy(storage.k_scale, scales.data(), scales.size() * sizeof(float), cudaMemcpyHostToDevice));
      ROOFLM_CUDA_CHECK(cudaMemcpy(storage.v_scale, scales.data(), scales.size() * sizeof(float), cudaMemcpyHostToDevice));
    } else {
      storage.k = arena.f16(elems, 1.0f, 1);
      storage.v = arena.f16(elems, 1.0f, 2);
    }
    view.storage = storage;
    auto* tables_d = static_cast<int32_t*>(arena.bytes(tables.size() * sizeof(int32_t)));
    ROOFLM_CUDA_CHECK(cudaMemcpy(tables_d, tables.data(), tables.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
    device = attn::make_kv_device_view(view, tables_d);
  }

  // Layer 0 of the device cache on the host, as the reference reads it: fp16 values as fp32, or the
  // codes and scales as they are. The returned view points into `host`.
  struct Host {
    std::vector<float> k, v, k_scale, v_scale;
    std::vector<uint8_t> k_codes, v_codes;
    KvView view;
  };
  Host host_layer0() const {
    Host h;
    h.view = view;
    h.view.geom.n_layers = 1;
    const size_t elems = size_t(view.geom.num_blocks) * size_t(view.geom.elems_per_block());
    if (view.geom.quantized()) {
      h.k_codes = download(static_cast<const uint8_t*>(view.storage.k), elems);
      h.v_codes = download(static_cast<const uint8_t*>(view.storage.v), elems);
      h.k_scale = download_f32(view.storage.k_scale, elems / kHeadDim);
      h.v_scale = download_f32(view.storage.v_scale, elems / kHeadDim);
      h.view.storage = {h.k_codes.data(), h.v_codes.data(), h.k_scale.data(), h.v_scale.data()};
    } else {
      h.k = download_f16(static_cast<const __half*>(view.storage.k), elems);
      h.v = download_f16(static_cast<const __half*>(view.storage.v), elems);
      h.view.geom.dtype = DType::f32;
      h.view.storage = {h.k.data(), h.v.data(), nullptr, nullptr};
    }
    return h;
  }
};

// out (after one launch on layer 0) against ref::attention of q over layer 0 of the cache.
Check check_against_reference(const Batch& batch, const Cache& cache, const __half* q, const __half* out) {
  return [&batch, &cache, q, out] {
    const size_t count = size_t(batch.b.n_tokens) * kHeads * kHeadDim;
    const std::vector<float> q_host = download_f16(q, count);
    const Cache::Host host = cache.host_layer0();
    std::vector<float> ref(count);
    ref::attention(reference_pool(), q_host.data(), ref.data(), batch.q_begin.data(), batch.kv_len.data(), batch.b.n_seqs,
                   kHeads, 0, 0, host.view);
    const std::vector<float> got = download_f16(out, count);
    return ref::compare_close(got.data(), ref.data(), count, kAtol, kRtol);
  };
}

void bench_prefill(benchmark::State& state, AttnKernel kernel, Layout layout, int tokens) {
  DeviceArena arena;
  const Batch batch(arena, 1, tokens, tokens);
  const Cache cache(arena, layout, 1, 1, tokens, kHeads, DType::f16);
  const size_t count = size_t(tokens) * kHeads * kHeadDim;
  const __half* q = arena.f16(count, 1.0f, 3);
  auto* out = static_cast<__half*>(arena.bytes(count * sizeof(__half)));
  void* scratch = arena.bytes(attn::attn_scratch_bytes(kernel, batch.b, kHeads, cache.device));
  cublasHandle_t cublas = nullptr;
  ROOFLM_CUBLAS_CHECK(cublasCreate(&cublas));
  const Cost cost{4.0 * double(count) * 2, 4.0 * kHeadDim * kHeads * (double(tokens) * (tokens + 1) / 2)};
  time_launches(
      state,
      [&](int, cudaStream_t stream) { attn::attn_launch(kernel, q, out, batch.b, kHeads, 0, cache.device, scratch, cublas, stream); },
      1, cost, check_against_reference(batch, cache, q, out));
  cublasDestroy(cublas);
}

void bench_decode(benchmark::State& state, DType dtype, Layout layout, int n_kv, int n_seqs, int ctx) {
  const double bytes_per_row = kHeadDim * double(dtype_size(dtype)) + (kv_dtype_quantized(dtype) ? 4.0 : 0.0);
  const double kv_bytes_per_layer = double(n_seqs) * ctx * n_kv * bytes_per_row * 2;
  const int n_layers = std::min(kMaxLayers, rotations_for(size_t(kv_bytes_per_layer)));
  DeviceArena arena;
  const Batch batch(arena, n_seqs, 1, ctx);
  const Cache cache(arena, layout, n_layers, n_seqs, ctx, n_kv, dtype);
  const size_t count = size_t(n_seqs) * kHeads * kHeadDim;
  const __half* q = arena.f16(count, 1.0f, 3);
  auto* out = static_cast<__half*>(arena.bytes(count * sizeof(__half)));
  void* scratch = arena.bytes(attn::attn_decode_splitk_scratch_bytes(batch.b, kHeads, cache.device));
  state.counters["n_splits"] = attn::attn_decode_splitk_num_splits(batch.b, kHeads, cache.device);
  const Cost cost{kv_bytes_per_layer + 2.0 * double(count) * 2, 4.0 * kHeadDim * kHeads * double(n_seqs) * ctx};
  time_launches(
      state,
      [&](int layer, cudaStream_t stream) {
        attn::attn_decode_splitk_f16(q, out, batch.b, kHeads, layer, cache.device, scratch, stream);
      },
      n_layers, cost, check_against_reference(batch, cache, q, out));
}

const char* kv_name(DType dtype) { return dtype == DType::f16 ? "fp16" : dtype == DType::i8 ? "int8" : "fp8"; }

}  // namespace

void register_attention_benchmarks() {
  const Layout contiguous{KvLayout::contiguous, 0, false};
  const Layout paged16{KvLayout::paged, 16, true};
  for (const int tokens : {512, 2048, 4096})
    for (const AttnKernel kernel : {AttnKernel::prefill_flash, AttnKernel::naive}) {
      const std::string name = std::string(attn::attn_kernel_name(kernel)) + "/tokens:" + std::to_string(tokens) + "/layout:contiguous";
      add_case(name, [kernel, contiguous, tokens](benchmark::State& st) {
        bench_prefill(st, kernel, contiguous, tokens);
      });
    }
  add_case(
      (std::string(attn::attn_kernel_name(AttnKernel::prefill_flash)) + "/tokens:4096/layout:paged16"),
      [paged16](benchmark::State& st) { bench_prefill(st, AttnKernel::prefill_flash, paged16, 4096); });

  const Layout fp16_layouts[] = {contiguous, paged16, {KvLayout::paged, 16, false}, {KvLayout::paged, 32, true}};
  for (const int n_kv : {8, 32})
    for (const int n_seqs : {1, 8, 32})
      for (const int ctx : {1024, 4096})
        for (const DType dtype : {DType::f16, DType::i8, DType::f8e4m3})
          for (const Layout& layout : fp16_layouts) {
            if (dtype != DType::f16 && layout.name() != "contiguous" && layout.name() != "paged16") continue;
            const std::string name = std::string(attn::attn_kernel_name(AttnKernel::decode_splitk)) + "/kv:" + kv_name(dtype) +
                                     "/layout:" + layout.name() + "/kv_heads:" + std::to_string(n_kv) +
                                     "/batch:" + std::to_string(n_seqs) + "/ctx:" + std::to_string(ctx);
            add_case(name, [=](benchmark::State& st) {
              bench_decode(st, dtype, layout, n_kv, n_seqs, ctx);
            });
          }
}

}  // namespace rooflm::kbench
