// attn_bench: timing of the attention kernels, each number beside its roofline.
//   prefill: attn_prefill_flash_f16 vs attn_naive_f16, one causal sequence of 512/2048/4096 tokens,
//            head_dim 128, 32 heads (MHA); FLOPs = 4 * head_dim * heads * (unmasked (q, k) pairs),
//            roofline = FLOPs / 765 TFLOP/s (measured cuBLAS fp16 peak of the project's H100).
//   decode:  attn_decode_splitk_f16, batch 1/8/32 x context 512/4096, head_dim 128, 32 heads, 8 kv
//            heads, contiguous vs paged (block 16 and 32 in a shuffled pool; block 16 in order, which
//            separates the table lookup from the scattering of blocks); bytes = K+V of every
//            context token + q + out, roofline = bytes / the read bandwidth.
//   kv dtype: the same decode kernel on an fp16, int8 and fp8 cache (codes + fp32 scale per token
//            and head), Llama-2-7B's 32 kv heads and a GQA 8, batch 1/8/32 x context 1024/4096,
//            contiguous and paged16; bytes count codes and scales; ratio lines int8/fp16, fp8/fp16.
// Ceilings: --peak-bytes B/s and --peak-flops FLOP/s (pass the calibrated ones, `rooflm calibrate`);
// defaults are the H100's measured 3.10 TB/s and 765 TFLOP/s.
//            Decode launches rotate over enough layers that the KV read is several times the L2, and
//            are timed as a CUDA graph of 40 launches (no host launch overhead in the numbers).
// Fresh random fp16 inputs (never zeros); CUDA-event timing after warm-up; every raw sample, the
// median, min and max go to the JSON rows (--out), a table is printed last.
// Build (no CMake target yet; after building rooflm_kernels and rooflm_engine in build-<name>):
//   nvcc -std=c++20 -O3 -gencode arch=compute_90a,code=sm_90a -I. tools/kbench/attn_bench.cu \
//     build-<name>/kernels/librooflm_kernels.a build-<name>/engine/librooflm_engine.a -lcublas \
//     -o build-<name>/attn_bench
// Run: build-<name>/attn_bench [--out FILE.json] [--commit SHA] [--peak-bytes B] [--peak-flops F]
//      [--only kv]   (--only kv: the kv-dtype decode rows at 32 kv heads, batch 32, context 4096)
// Tuning variants of the quantised split-K decode: compile kernels/attention/attn_decode_splitk.cu with
// -DROOFLM_DECODE_QUANT_STAGES=S -DROOFLM_DECODE_QUANT_BLOCKS=B into an object and link it before the
// kernels library (results/h200/kv_quant_2026-12-02/run_fde50f4: S 3 / B 3 and S 2 / B 4 against 5 / 2).
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/attention/attention.h"
#include "kernels/common/cuda_check.h"

namespace rooflm::attn {
namespace {

double kPeakFlops = 765e12;    // --peak-flops; default: measured cuBLAS fp16 GEMM, H100 80GB HBM3
double kPeakBytes = 3.10e12;   // --peak-bytes; default: measured read-only stream, same card
constexpr int kHeadDim = 128;
constexpr int kHeads = 32;

template <typename T>
struct Dev {
  T* p = nullptr;
  explicit Dev(size_t n) { ROOFLM_CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T))); }
  ~Dev() { cudaFree(p); }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
};

__global__ void fill_random_half(__half* x, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    x[i] = __float2half(float(z >> 40) / float(1 << 24) * 2.0f - 1.0f);  // uniform [-1, 1)
  }
}

void fill(__half* x, size_t n, uint64_t seed) {
  fill_random_half<<<1024, 256>>>(x, n, seed);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

// Random finite codes: int8 in [-127, 127]; e4m3 with the top exponent bit of NaN patterns cleared.
__global__ void fill_random_codes(uint8_t* x, size_t n, uint64_t seed, bool fp8) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    const uint32_t b = uint32_t(z >> 56);
    x[i] = fp8 ? uint8_t(b & 0xF7u) : uint8_t(int(b % 255u) - 127);
  }
}

__global__ void fill_value(float* x, size_t n, float value) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) x[i] = value;
}

struct Row {
  std::string kernel, layout, phase, kv_dtype = "fp16";
  int batch = 0, q_len = 0, ctx = 0, n_heads = kHeads, n_kv_heads = 0, head_dim = kHeadDim, n_splits = 0;
  size_t scratch_bytes = 0;
  double flops = 0, bytes = 0;
  std::vector<double> samples_us;

  double median() const {
    std::vector<double> s = samples_us;
    std::sort(s.begin(), s.end());
    const size_t n = s.size();
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  }
  double roofline_us() const { return std::max(flops / kPeakFlops, bytes / kPeakBytes) * 1e6; }
};

// samples x (reps launches between two events); launch(i) runs launch number i.
std::vector<double> time_launches(const std::function<void(int)>& launch, int warmup, int samples, int reps) {
  cudaEvent_t start, stop;
  ROOFLM_CUDA_CHECK(cudaEventCreate(&start));
  ROOFLM_CUDA_CHECK(cudaEventCreate(&stop));
  int i = 0;
  for (int w = 0; w < warmup; ++w) launch(i++);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<double> us;
  for (int s = 0; s < samples; ++s) {
    ROOFLM_CUDA_CHECK(cudaEventRecord(start));
    for (int r = 0; r < reps; ++r) launch(i++);
    ROOFLM_CUDA_CHECK(cudaEventRecord(stop));
    ROOFLM_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    ROOFLM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    us.push_back(double(ms) * 1e3 / reps);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return us;
}

// Captures reps launches into a CUDA graph on `stream`, then times samples replays of it.
std::vector<double> time_graph(const std::function<void(int, cudaStream_t)>& launch, int warmup, int samples,
                               int reps) {
  cudaStream_t stream;
  ROOFLM_CUDA_CHECK(cudaStreamCreate(&stream));
  launch(0, stream);  // first launch outside the capture: one-time kernel attribute setup
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream));
  cudaGraph_t graph;
  ROOFLM_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  for (int r = 0; r < reps; ++r) launch(r, stream);
  ROOFLM_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  cudaGraphExec_t exec;
  ROOFLM_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  cudaEvent_t start, stop;
  ROOFLM_CUDA_CHECK(cudaEventCreate(&start));
  ROOFLM_CUDA_CHECK(cudaEventCreate(&stop));
  for (int w = 0; w < warmup; ++w) ROOFLM_CUDA_CHECK(cudaGraphLaunch(exec, stream));
  std::vector<double> us;
  for (int s = 0; s < samples; ++s) {
    ROOFLM_CUDA_CHECK(cudaEventRecord(start, stream));
    ROOFLM_CUDA_CHECK(cudaGraphLaunch(exec, stream));
    ROOFLM_CUDA_CHECK(cudaEventRecord(stop, stream));
    ROOFLM_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    ROOFLM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    us.push_back(double(ms) * 1e3 / reps);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
  return us;
}

struct Batch {
  std::vector<int32_t> q_begin, kv_len;
  Dev<int32_t> q_begin_d, kv_len_d;
  AttnBatch b;
  Batch(int n_seqs, int q_len, int ctx) : q_begin_d(size_t(n_seqs) + 1), kv_len_d(size_t(n_seqs)) {
    for (int i = 0; i <= n_seqs; ++i) q_begin.push_back(i * q_len);
    kv_len.assign(size_t(n_seqs), ctx);
    ROOFLM_CUDA_CHECK(cudaMemcpy(q_begin_d.p, q_begin.data(), q_begin.size() * 4, cudaMemcpyHostToDevice));
    ROOFLM_CUDA_CHECK(cudaMemcpy(kv_len_d.p, kv_len.data(), kv_len.size() * 4, cudaMemcpyHostToDevice));
    b.n_seqs = n_seqs;
    b.n_tokens = n_seqs * q_len;
    b.max_q_len = q_len;
    b.max_kv_len = ctx;
    b.q_begin = q_begin_d.p;
    b.kv_len = kv_len_d.p;
    b.q_begin_host = q_begin.data();
    b.kv_len_host = kv_len.data();
  }
};

// Paged layout of a benchmark cache: block size, and blocks shuffled over the pool or in order.
struct PagedSpec {
  int block_size = 16;
  bool shuffled = true;
  std::string name() const { return "paged" + std::to_string(block_size) + (shuffled ? "" : "_ordered"); }
};

// n_seqs sequences of ctx tokens in n_layers layers; fp16 values, or int8 / fp8 codes and scales.
struct Cache {
  KvDeviceView view;
  std::vector<int32_t> tables;
  Dev<uint8_t> k, v;
  Dev<float> k_scale, v_scale;
  Dev<int32_t> tables_d;
  static size_t elems(int n_layers, int n_seqs, int ctx, int n_kv, int bs) {
    return size_t(n_layers) * n_seqs * size_t((ctx + bs - 1) / bs * bs) * n_kv * kHeadDim;
  }
  Cache(KvLayout layout, PagedSpec paged, int n_layers, int n_seqs, int ctx, int n_kv, DType dtype = DType::f16)
      : k(elems(n_layers, n_seqs, ctx, n_kv, paged.block_size) * dtype_size(dtype)),
        v(elems(n_layers, n_seqs, ctx, n_kv, paged.block_size) * dtype_size(dtype)),
        k_scale(kv_dtype_quantized(dtype) ? elems(n_layers, n_seqs, ctx, n_kv, paged.block_size) / kHeadDim : 0),
        v_scale(kv_dtype_quantized(dtype) ? elems(n_layers, n_seqs, ctx, n_kv, paged.block_size) / kHeadDim : 0),
        tables_d(size_t(n_seqs) * ((ctx + paged.block_size - 1) / paged.block_size)) {
    const int bs = paged.block_size;
    const int blocks_per_seq = (ctx + bs - 1) / bs;
    view.layout = layout;
    view.dtype = dtype;
    view.n_layers = n_layers;
    view.n_kv_heads = n_kv;
    view.head_dim = kHeadDim;
    view.n_seqs = n_seqs;
    if (layout == KvLayout::contiguous) {
      view.block_size = blocks_per_seq * bs;
      view.num_blocks = n_seqs;
      view.max_blocks_per_seq = 1;
      for (int i = 0; i < n_seqs; ++i) tables.push_back(i);
    } else {
      view.block_size = bs;
      view.num_blocks = n_seqs * blocks_per_seq;
      view.max_blocks_per_seq = blocks_per_seq;
      tables.resize(size_t(view.num_blocks));
      std::iota(tables.begin(), tables.end(), 0);
      if (paged.shuffled) std::shuffle(tables.begin(), tables.end(), std::mt19937_64(42));
    }
    const size_t n = elems(n_layers, n_seqs, ctx, n_kv, bs);
    if (kv_dtype_quantized(dtype)) {
      fill_random_codes<<<1024, 256>>>(k.p, n, 1, dtype == DType::f8e4m3);
      fill_random_codes<<<1024, 256>>>(v.p, n, 2, dtype == DType::f8e4m3);
      fill_value<<<1024, 256>>>(k_scale.p, n / kHeadDim, 0.01f);
      fill_value<<<1024, 256>>>(v_scale.p, n / kHeadDim, 0.01f);
      ROOFLM_CUDA_CHECK(cudaGetLastError());
      view.k_scale = k_scale.p;
      view.v_scale = v_scale.p;
    } else {
      fill(reinterpret_cast<__half*>(k.p), n, 1);
      fill(reinterpret_cast<__half*>(v.p), n, 2);
    }
    ROOFLM_CUDA_CHECK(cudaMemcpy(tables_d.p, tables.data(), tables.size() * 4, cudaMemcpyHostToDevice));
    view.k = k.p;
    view.v = v.p;
    view.block_tables = tables_d.p;
  }
};

Row bench_prefill(AttnKernel kernel, KvLayout layout, int tokens, cublasHandle_t cublas) {
  const int n_kv = kHeads;
  Batch batch(1, tokens, tokens);
  Cache cache(layout, PagedSpec{}, 1, 1, tokens, n_kv);
  Dev<__half> q(size_t(tokens) * kHeads * kHeadDim), out(size_t(tokens) * kHeads * kHeadDim);
  fill(q.p, size_t(tokens) * kHeads * kHeadDim, 3);
  Row row;
  row.kernel = attn_kernel_name(kernel);
  row.layout = layout == KvLayout::paged ? "paged16" : "contiguous";
  row.phase = "prefill";
  row.batch = 1;
  row.q_len = row.ctx = tokens;
  row.n_kv_heads = n_kv;
  row.scratch_bytes = attn_scratch_bytes(kernel, batch.b, kHeads, cache.view);
  Dev<char> scratch(row.scratch_bytes);
  row.flops = 4.0 * kHeadDim * kHeads * (double(tokens) * (tokens + 1) / 2);
  row.bytes = 4.0 * tokens * kHeads * kHeadDim * 2;  // q, k, v read once, out written once
  row.samples_us = time_launches(
      [&](int) { attn_launch(kernel, q.p, out.p, batch.b, kHeads, 0, cache.view, scratch.p, cublas, nullptr); }, 3,
      15, tokens >= 2048 ? 3 : 10);
  return row;
}

Row bench_decode(KvLayout layout, PagedSpec paged, int n_seqs, int ctx, int n_kv = 8, DType dtype = DType::f16) {
  // K + V of every context token: values, or codes and one fp32 scale per (token, head)
  const double bytes_per_head = kHeadDim * double(dtype_size(dtype)) + (kv_dtype_quantized(dtype) ? 4.0 : 0.0);
  const double kv_bytes_per_layer = double(n_seqs) * ctx * n_kv * bytes_per_head * 2;
  const int n_layers = int(std::clamp(std::ceil(400e6 / kv_bytes_per_layer), 1.0, 128.0));
  Batch batch(n_seqs, 1, ctx);
  Cache cache(layout, paged, n_layers, n_seqs, ctx, n_kv, dtype);
  Dev<__half> q(size_t(n_seqs) * kHeads * kHeadDim), out(size_t(n_seqs) * kHeads * kHeadDim);
  fill(q.p, size_t(n_seqs) * kHeads * kHeadDim, 3);
  Row row;
  row.kernel = attn_kernel_name(AttnKernel::decode_splitk);
  row.layout = layout == KvLayout::paged ? paged.name() : "contiguous";
  row.phase = "decode";
  row.kv_dtype = std::string(dtype_name(dtype));
  row.batch = n_seqs;
  row.q_len = 1;
  row.ctx = ctx;
  row.n_kv_heads = n_kv;
  row.n_splits = attn_decode_splitk_num_splits(batch.b, kHeads, cache.view);
  row.scratch_bytes = attn_decode_splitk_scratch_bytes(batch.b, kHeads, cache.view);
  Dev<char> scratch(row.scratch_bytes);
  row.flops = 4.0 * kHeadDim * kHeads * double(n_seqs) * ctx;
  row.bytes = kv_bytes_per_layer + 2.0 * n_seqs * kHeads * kHeadDim * 2;
  row.samples_us = time_graph(
      [&](int i, cudaStream_t stream) {
        attn_decode_splitk_f16(q.p, out.p, batch.b, kHeads, i % n_layers, cache.view, scratch.p, stream);
      },
      10, 15, 40);
  return row;
}

nlohmann::json environment(const std::string& commit) {
  cudaDeviceProp prop{};
  ROOFLM_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return {{"gpu", prop.name},           {"sm_count", prop.multiProcessorCount},
          {"cuda_driver", driver},      {"cuda_runtime", runtime},
          {"git_commit", commit},       {"timestamp", stamp},
          {"peak_flops_used", kPeakFlops}, {"peak_bytes_per_s_used", kPeakBytes}};
}

int run(int argc, char** argv) {
  std::string out_path, commit = "unknown", only;  // --only kv: the kv-dtype decode rows at batch 32, context 4096
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--out") out_path = argv[i + 1];
    else if (flag == "--commit") commit = argv[i + 1];
    else if (flag == "--peak-bytes") kPeakBytes = std::stod(argv[i + 1]);
    else if (flag == "--peak-flops") kPeakFlops = std::stod(argv[i + 1]);
    else if (flag == "--only") only = argv[i + 1];
    else throw std::runtime_error("unknown flag " + flag + " (known: --out, --commit, --peak-bytes, --peak-flops, --only kv)");
  }
  cublasHandle_t cublas;
  ROOFLM_CUBLAS_CHECK(cublasCreate(&cublas));
  std::vector<Row> rows;
  if (only == "kv") {  // one shape, for a profiler: Llama-2-7B's 32 kv heads, batch 32, context 4096
    for (DType dtype : {DType::f16, DType::i8, DType::f8e4m3})
      rows.push_back(bench_decode(KvLayout::contiguous, PagedSpec{16, true}, 32, 4096, 32, dtype));
  }
  for (int tokens : {512, 2048, 4096}) {
    if (!only.empty()) break;
    rows.push_back(bench_prefill(AttnKernel::prefill_flash, KvLayout::contiguous, tokens, cublas));
    rows.push_back(bench_prefill(AttnKernel::naive, KvLayout::contiguous, tokens, cublas));
  }
  if (only.empty()) rows.push_back(bench_prefill(AttnKernel::prefill_flash, KvLayout::paged, 4096, cublas));
  for (int n_seqs : {1, 8, 32}) {
    if (!only.empty()) break;
    for (int ctx : {512, 4096}) {
      rows.push_back(bench_decode(KvLayout::contiguous, PagedSpec{}, n_seqs, ctx));
      for (PagedSpec paged : {PagedSpec{16, true}, PagedSpec{16, false}, PagedSpec{32, true}})
        rows.push_back(bench_decode(KvLayout::paged, paged, n_seqs, ctx));
    }
  }
  for (int n_kv : {32, 8}) {
    if (!only.empty()) break;
    for (int n_seqs : {1, 8, 32})
      for (int ctx : {1024, 4096})
        for (KvLayout layout : {KvLayout::contiguous, KvLayout::paged})
          for (DType dtype : {DType::f16, DType::i8, DType::f8e4m3}) {
            rows.push_back(bench_decode(layout, PagedSpec{16, true}, n_seqs, ctx, n_kv, dtype));
          }
  }
  cublasDestroy(cublas);

  nlohmann::json doc = {{"schema", "rooflm.kbench/1"}, {"bench", "attn"}, {"environment", environment(commit)}};
  for (const Row& r : rows) {
    const double med = r.median();
    doc["rows"].push_back({{"kernel", r.kernel}, {"phase", r.phase}, {"layout", r.layout}, {"kv_dtype", r.kv_dtype},
                           {"batch", r.batch},
                           {"q_len", r.q_len}, {"ctx", r.ctx}, {"n_heads", r.n_heads}, {"n_kv_heads", r.n_kv_heads},
                           {"head_dim", r.head_dim}, {"n_splits", r.n_splits}, {"scratch_bytes", r.scratch_bytes},
                           {"flops", r.flops}, {"bytes", r.bytes}, {"samples_us", r.samples_us},
                           {"median_us", med},
                           {"min_us", *std::min_element(r.samples_us.begin(), r.samples_us.end())},
                           {"max_us", *std::max_element(r.samples_us.begin(), r.samples_us.end())},
                           {"tflops", r.flops / med * 1e-6}, {"gbps", r.bytes / med * 1e-3},
                           {"roofline_us", r.roofline_us()}, {"fraction_of_roofline", r.roofline_us() / med}});
  }
  if (!out_path.empty()) std::ofstream(out_path) << doc.dump(2) << "\n";

  std::printf("%-24s %-14s %-5s %4s %5s %6s %7s %10s %8s %8s %9s %6s %10s\n", "kernel", "layout", "kv", "kvh",
              "batch", "q_len", "ctx", "median_us", "TFLOP/s", "GB/s", "roof_us", "%roof", "scratch_MB");
  for (const Row& r : rows) {
    const double med = r.median();
    std::printf("%-24s %-14s %-5s %4d %5d %6d %7d %10.2f %8.1f %8.1f %9.2f %5.1f%% %10.2f\n", r.kernel.c_str(),
                r.layout.c_str(), r.kv_dtype.c_str(), r.n_kv_heads, r.batch, r.q_len, r.ctx, med, r.flops / med * 1e-6,
                r.bytes / med * 1e-3, r.roofline_us(), 100.0 * r.roofline_us() / med, double(r.scratch_bytes) / 1e6);
  }
  for (const Row& c : rows)
    for (const Row& p : rows)
      if (c.phase == "decode" && p.phase == "decode" && c.kv_dtype == "fp16" && p.kv_dtype != "fp16" &&
          c.layout == p.layout && c.batch == p.batch && c.ctx == p.ctx && c.n_kv_heads == p.n_kv_heads)
        std::printf("decode kv heads %2d batch %2d ctx %5d %-10s: fp16 / %s time = %.3fx speed-up\n", c.n_kv_heads,
                    c.batch, c.ctx, c.layout.c_str(), p.kv_dtype.c_str(), c.median() / p.median());
  for (const Row& c : rows)
    for (const Row& p : rows)
      if (c.phase == "decode" && p.phase == "decode" && c.layout == "contiguous" && p.layout != "contiguous" &&
          c.kv_dtype == "fp16" && p.kv_dtype == "fp16" && c.n_kv_heads == 8 && p.n_kv_heads == 8 &&
          c.batch == p.batch && c.ctx == p.ctx)
        std::printf("decode batch %2d ctx %5d: %s/contiguous = %.3f\n", c.batch, c.ctx, p.layout.c_str(),
                    p.median() / c.median());
  return 0;
}

}  // namespace
}  // namespace rooflm::attn

int main(int argc, char** argv) {
  try {
    return rooflm::attn::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attn_bench: %s\n", e.what());
    return 1;
  }
}
