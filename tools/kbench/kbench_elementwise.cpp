// kbench elementwise kernels at Llama-2-7B sizes (hidden 4096, 32 heads of 128, ffn 11008), at
// n = 2048 tokens (bandwidth) and n = 1 (decode latency). Bytes are the minimal HBM traffic: the
// residual stream x is fp32 (4 B), everything else fp16 (2 B). Each case is checked first against
// its reference op (reference/norm.h, rope.h, activation.h, embedding.h), every element, with the
// GPU tests' tolerances: the fp32 stream 1e-6 relative, normed rows 2e-3 + 2e-3 |ref|, RoPE
// 1e-3 + 1e-3 |ref|, activations 1e-3 + 2e-3 |ref|, the gather exact.
// Names: <kernel>/n:<tokens>
#include <random>
#include <string>
#include <vector>

#include "common/rope_table.h"
#include "kernels/activation/activation_f16.h"
#include "kernels/common/cuda_check.h"
#include "kernels/embedding/embedding_gather_f16.h"
#include "kernels/norm/rmsnorm_f16.h"
#include "kernels/rope/rope_f16.h"
#include "reference/activation.h"
#include "reference/embedding.h"
#include "reference/norm.h"
#include "reference/rope.h"
#include "tools/kbench/kbench_register.h"
#include "tools/kbench/kbench_timing.h"

namespace rooflm::kbench {
namespace {

constexpr int64_t kHidden = 4096, kHeads = 32, kHeadDim = 128, kFfn = 11008, kVocab = 32000;
constexpr int64_t kTokenCounts[] = {1, 2048};
constexpr float kEps = 1e-5f;
constexpr double kStreamTol = 1e-6, kNormTol = 2e-3, kRopeTol = 1e-3, kActAtol = 1e-3, kActRtol = 2e-3;

// `rotations` fp32 residual streams [n, hidden] ~ U(-3, 3) (as norm_test.cu's), and rotation 0's
// values on the host (the in-place kernels overwrite them on the device).
struct Streams {
  std::vector<float*> device;
  std::vector<float> first;
};

Streams streams(DeviceArena& arena, int64_t n, int rotations) {
  Streams x;
  std::mt19937_64 rng(0x6b62656e6368ull);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::vector<float> host(size_t(n * kHidden));
  for (int r = 0; r < rotations; ++r) {
    for (float& v : host) v = u(rng);
    x.device.push_back(static_cast<float*>(arena.bytes(host.size() * sizeof(float))));
    ROOFLM_CUDA_CHECK(cudaMemcpy(x.device.back(), host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
    if (r == 0) x.first = host;
  }
  return x;
}

std::vector<__half*> halves(DeviceArena& arena, size_t count, int rotations, uint64_t id) {
  std::vector<__half*> v;
  for (int r = 0; r < rotations; ++r) v.push_back(arena.f16(count, 1.0f, id + uint64_t(r)));
  return v;
}

ref::CloseReport compare(const std::vector<float>& got, const std::vector<float>& ref, double atol, double rtol,
                         const std::string& what = "") {
  return ref::compare_close(got.data(), ref.data(), ref.size(), atol, rtol, what);
}

void bench_residual_add(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const int rotations = rotations_for(size_t(n * kHidden) * 6);
  const auto x = streams(arena, n, rotations);
  const auto r = halves(arena, size_t(n * kHidden), rotations, 100);
  const Check check = [&] {
    std::vector<float> ref = x.first;
    ref::residual_add(ref.data(), download_f16(r[0], ref.size()).data(), n, kHidden);
    return compare(download_f32(x.device[0], ref.size()), ref, 0.0, kStreamTol);
  };
  time_launches(state, [&](int i, cudaStream_t s) { residual_add_f16(x.device[i], r[i], n, kHidden, s); }, rotations,
                Cost{double(n * kHidden) * (4 + 2 + 4), 0}, check);
}

void bench_rmsnorm(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const int rotations = rotations_for(size_t(n * kHidden) * 6);
  const auto x = streams(arena, n, rotations);
  const auto h = halves(arena, size_t(n * kHidden), rotations, 200);
  const __half* w = arena.f16(size_t(kHidden), 1.0f, 300);
  const Check check = [&] {
    std::vector<float> ref(x.first.size());
    ref::rmsnorm(x.first.data(), download_f16(w, size_t(kHidden)).data(), ref.data(), n, kHidden, kEps);
    return compare(download_f16(h[0], ref.size()), ref, kNormTol, kNormTol);
  };
  time_launches(state, [&](int i, cudaStream_t s) { rmsnorm_f16(x.device[i], w, h[i], n, kHidden, kEps, s); }, rotations,
                Cost{double(n * kHidden) * (4 + 2) + 2.0 * kHidden, 0}, check);
}

void bench_add_rmsnorm(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const int rotations = rotations_for(size_t(n * kHidden) * 8);
  const auto x = streams(arena, n, rotations);
  const auto r = halves(arena, size_t(n * kHidden), rotations, 400);
  const auto h = halves(arena, size_t(n * kHidden), rotations, 500);
  const __half* w = arena.f16(size_t(kHidden), 1.0f, 600);
  const Check check = [&] {  // residual_add then rmsnorm (norm.h)
    std::vector<float> sum = x.first, ref(x.first.size());
    ref::residual_add(sum.data(), download_f16(r[0], sum.size()).data(), n, kHidden);
    ref::rmsnorm(sum.data(), download_f16(w, size_t(kHidden)).data(), ref.data(), n, kHidden, kEps);
    ref::CloseReport report = compare(download_f32(x.device[0], sum.size()), sum, 0.0, kStreamTol, "x");
    report += compare(download_f16(h[0], ref.size()), ref, kNormTol, kNormTol, "h");
    return report;
  };
  time_launches(state, [&](int i, cudaStream_t s) { add_rmsnorm_f16(x.device[i], r[i], w, h[i], n, kHidden, kEps, s); },
                rotations, Cost{double(n * kHidden) * (4 + 2 + 4 + 2) + 2.0 * kHidden, 0}, check);
}

void bench_rope(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const size_t per_tensor = size_t(n * kHeads * kHeadDim);
  const int rotations = rotations_for(per_tensor * 4);
  const auto q = halves(arena, per_tensor, rotations, 700);
  const auto k = halves(arena, per_tensor, rotations, 800);
  std::vector<int32_t> positions(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t) positions[size_t(t)] = int32_t(t);
  auto* positions_d = static_cast<int32_t*>(arena.bytes(positions.size() * sizeof(int32_t)));
  ROOFLM_CUDA_CHECK(cudaMemcpy(positions_d, positions.data(), positions.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  const std::vector<double> table = rope_inv_freq(kHeadDim, 10000.0, RopeScaling{});
  const std::vector<float> table_f(table.begin(), table.end());
  auto* inv_freq = static_cast<float*>(arena.bytes(table_f.size() * sizeof(float)));
  ROOFLM_CUDA_CHECK(cudaMemcpy(inv_freq, table_f.data(), table_f.size() * sizeof(float), cudaMemcpyHostToDevice));
  const std::vector<double> table_read(table_f.begin(), table_f.end());  // the fp32 table the kernel reads
  const std::vector<float> q0 = download_f16(q[0], per_tensor), k0 = download_f16(k[0], per_tensor);
  const Check check = [&] {
    std::vector<float> q_ref = q0, k_ref = k0;
    ref::rope(q_ref.data(), positions.data(), n, kHeads, kHeadDim, table_read.data());
    ref::rope(k_ref.data(), positions.data(), n, kHeads, kHeadDim, table_read.data());
    ref::CloseReport report = compare(download_f16(q[0], per_tensor), q_ref, kRopeTol, kRopeTol, "q");
    report += compare(download_f16(k[0], per_tensor), k_ref, kRopeTol, kRopeTol, "k");
    return report;
  };
  time_launches(state,
                [&](int i, cudaStream_t s) { rope_f16(q[i], k[i], positions_d, n, kHeads, kHeads, kHeadDim, inv_freq, s); },
                rotations, Cost{double(per_tensor) * 2 * (2 + 2), 0}, check);
}

void bench_silu(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const size_t count = size_t(n * kFfn);
  const int rotations = rotations_for(count * 4);
  const auto g = halves(arena, count, rotations, 900);
  const auto y = halves(arena, count, rotations, 1000);
  const Check check = [&] {
    std::vector<float> ref(count);
    ref::silu(download_f16(g[0], count).data(), ref.data(), int64_t(count));
    return compare(download_f16(y[0], count), ref, kActAtol, kActRtol);
  };
  time_launches(state, [&](int i, cudaStream_t s) { silu_f16(g[i], y[i], int64_t(count), s); }, rotations,
                Cost{double(count) * (2 + 2), 0}, check);
}

void bench_mul(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const size_t count = size_t(n * kFfn);
  const int rotations = rotations_for(count * 6);
  const auto a = halves(arena, count, rotations, 1100);
  const auto b = halves(arena, count, rotations, 1200);
  const auto y = halves(arena, count, rotations, 1300);
  const Check check = [&] {
    std::vector<float> ref(count);
    ref::mul(download_f16(a[0], count).data(), download_f16(b[0], count).data(), ref.data(), int64_t(count));
    return compare(download_f16(y[0], count), ref, kActAtol, kActRtol);
  };
  time_launches(state, [&](int i, cudaStream_t s) { mul_f16(a[i], b[i], y[i], int64_t(count), s); }, rotations,
                Cost{double(count) * (2 + 2 + 2), 0}, check);
}

void bench_silu_mul(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const size_t count = size_t(n * kFfn);
  const int rotations = rotations_for(count * 6);
  const auto gate_up = halves(arena, 2 * count, rotations, 1400);
  const auto y = halves(arena, count, rotations, 1500);
  const Check check = [&] {
    std::vector<float> ref(count);
    ref::silu_mul(download_f16(gate_up[0], 2 * count).data(), ref.data(), n, kFfn);
    return compare(download_f16(y[0], count), ref, kActAtol, kActRtol);
  };
  time_launches(state, [&](int i, cudaStream_t s) { silu_mul_f16(gate_up[i], y[i], n, kFfn, s); }, rotations,
                Cost{double(count) * (2 + 2 + 2), 0}, check);
}

void bench_embedding_gather(benchmark::State& state, int64_t n) {
  DeviceArena arena;
  const __half* table = arena.f16(size_t(kVocab * kHidden), 1.0f, 1600);
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t) tokens[size_t(t)] = int32_t((t * 7919) % kVocab);
  auto* tokens_d = static_cast<int32_t*>(arena.bytes(tokens.size() * sizeof(int32_t)));
  ROOFLM_CUDA_CHECK(cudaMemcpy(tokens_d, tokens.data(), tokens.size() * sizeof(int32_t), cudaMemcpyHostToDevice));
  const int rotations = rotations_for(size_t(n * kHidden) * 4);
  const auto x = streams(arena, n, rotations);
  const Check check = [&] {
    std::vector<float> ref(size_t(n * kHidden));
    ref::embedding_gather(download_f16(table, size_t(kVocab * kHidden)).data(), tokens.data(), ref.data(), n, kHidden);
    return compare(download_f32(x.device[0], ref.size()), ref, 0.0, 0.0);
  };
  time_launches(state, [&](int i, cudaStream_t s) { embedding_gather_f16(table, tokens_d, x.device[i], n, kVocab, kHidden, s); },
                rotations, Cost{double(n * kHidden) * (2 + 4), 0}, check);
}

using Bench = void (*)(benchmark::State&, int64_t);

}  // namespace

void register_elementwise_benchmarks() {
  const std::pair<const char*, Bench> benches[] = {
      {"residual_add_f16", bench_residual_add}, {"rmsnorm_f16", bench_rmsnorm},   {"add_rmsnorm_f16", bench_add_rmsnorm},
      {"rope_f16", bench_rope},                 {"silu_f16", bench_silu},         {"mul_f16", bench_mul},
      {"silu_mul_f16", bench_silu_mul},         {"embedding_gather_f16", bench_embedding_gather}};
  for (const auto& [name, bench] : benches)
    for (const int64_t n : kTokenCounts)
      add_case((std::string(name) + "/n:" + std::to_string(n)),
                                             [bench = bench, n](benchmark::State& st) { bench(st, n); });
}

}  // namespace rooflm::kbench
