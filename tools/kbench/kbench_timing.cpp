// CUDA-graph + CUDA-event timing and device buffers for kbench (see kbench_timing.h).
#include "tools/kbench/kbench_timing.h"

#include <algorithm>
#include <map>

#include "kernels/common/cuda_check.h"
#include "kernels/embedding/synthetic_fill_f16.h"

namespace rooflm::kbench {
namespace {

constexpr int kMinLaunchesPerGraph = 20;
size_t g_l2_bytes = size_t(50) << 20;
size_t rotation_bytes() { return std::max(size_t(160) << 20, 3 * g_l2_bytes); }
Ceilings g_ceilings;
std::string g_case;                                  // the case now running (add_case)
std::map<std::string, ref::CloseReport> g_checked;  // each case's check, from its first repetition

}  // namespace

void set_ceilings(const Ceilings& c) { g_ceilings = c; }
const Ceilings& ceilings() { return g_ceilings; }
void set_l2_bytes(size_t bytes) { g_l2_bytes = bytes; }

void add_case(const std::string& name, std::function<void(benchmark::State&)> run) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [name, run](benchmark::State& state) {
                                 g_case = name;
                                 run(state);
                               })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond)
      ->Iterations(kTimedReplays);
}

int rotations_for(size_t bytes_per_set) {
  return int(std::max<size_t>(1, (rotation_bytes() + bytes_per_set - 1) / std::max<size_t>(1, bytes_per_set)));
}

DeviceArena::~DeviceArena() {
  for (void* p : allocations_) cudaFree(p);
}

void* DeviceArena::bytes(size_t bytes) {
  void* p = nullptr;
  ROOFLM_CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(bytes, 16)));
  allocations_.push_back(p);
  return p;
}

__half* DeviceArena::f16(size_t count, float scale, uint64_t stream_id) {
  auto* p = static_cast<__half*>(bytes(count * sizeof(__half)));
  fill_synthetic_f16(p, int64_t(count), 0x6b62656e6368ull, stream_id, scale, 0.0f, nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  return p;
}

void time_launches(benchmark::State& state, const Launch& launch, int rotations, Cost cost, const Check& check) {
  cudaStream_t stream = nullptr;
  ROOFLM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  launch(0, stream);
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream));
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  auto checked = g_checked.find(g_case);
  if (checked == g_checked.end()) {
    checked = g_checked.emplace(g_case, check()).first;
    count_check(checked->second.ok());
  }
  const ref::CloseReport& report = checked->second;
  if (!report.ok()) {
    const std::string error = "does not match the CPU reference: " + std::to_string(report.off) + " of " +
                              std::to_string(report.checked) + " elements off:" + report.first;
    state.SkipWithError(error.c_str());
    cudaStreamDestroy(stream);
    return;
  }
  for (int r = 0; r < rotations; ++r) launch(r, stream);  // warm-up outside capture (plans, modules)
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream));

  const int launches = (kMinLaunchesPerGraph + rotations - 1) / rotations * rotations;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ROOFLM_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < launches; ++i) launch(i % rotations, stream);
  ROOFLM_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  ROOFLM_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  ROOFLM_CUDA_CHECK(cudaGraphLaunch(exec, stream));
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream));

  const size_t flush_bytes = 2 * g_l2_bytes;
  void* flush = nullptr;
  ROOFLM_CUDA_CHECK(cudaMalloc(&flush, flush_bytes));
  cudaEvent_t start = nullptr, stop = nullptr;
  ROOFLM_CUDA_CHECK(cudaEventCreate(&start));
  ROOFLM_CUDA_CHECK(cudaEventCreate(&stop));
  int replay = 0;
  for (auto _ : state) {
    ROOFLM_CUDA_CHECK(cudaMemsetAsync(flush, replay++ & 0xff, flush_bytes, stream));
    ROOFLM_CUDA_CHECK(cudaEventRecord(start, stream));
    ROOFLM_CUDA_CHECK(cudaGraphLaunch(exec, stream));
    ROOFLM_CUDA_CHECK(cudaEventRecord(stop, stream));
    ROOFLM_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    ROOFLM_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(double(ms) * 1e-3 / launches);
  }
  ROOFLM_CUDA_CHECK(cudaGetLastError());

  using benchmark::Counter;
  state.counters["GB/s"] = Counter(cost.bytes * 1e-9, Counter::kIsIterationInvariantRate);
  state.counters["TFLOP/s"] = Counter(cost.flops * 1e-12, Counter::kIsIterationInvariantRate);
  if (g_ceilings.read_bandwidth_bytes_per_s > 0 && g_ceilings.fp16_gemm_flops_per_s > 0) {
    const double roof_seconds = std::max(cost.bytes / g_ceilings.read_bandwidth_bytes_per_s,
                                         cost.flops / g_ceilings.fp16_gemm_flops_per_s);
    state.counters["roof_pct"] = Counter(100.0 * roof_seconds, Counter::kIsIterationInvariantRate);
    state.counters["roof_us"] = roof_seconds * 1e6;
  }
  state.counters["rotations"] = rotations;
  state.counters["l2_flush_bytes"] = double(flush_bytes);
  state.counters["checked"] = double(report.checked);
  state.counters["max_abs_err"] = report.max_abs_err;

  cudaFree(flush);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
}

}  // namespace rooflm::kbench
