// CUDA-graph + CUDA-event timing and device buffers for kbench (see kbench_timing.h).
#include "tools/kbench/kbench_timing.h"

#include <algorithm>

#include "kernels/common/cuda_check.h"
#include "kernels/embedding/synthetic_fill_f16.h"

namespace rooflm::kbench {
namespace {

constexpr int kMinLaunchesPerGraph = 20;
size_t g_rotation_bytes = size_t(160) << 20;
Ceilings g_ceilings;

}  // namespace

void set_ceilings(const Ceilings& c) { g_ceilings = c; }
const Ceilings& ceilings() { return g_ceilings; }
void set_rotation_bytes(size_t bytes) { g_rotation_bytes = bytes; }

int rotations_for(size_t bytes_per_set) {
  return int(std::max<size_t>(1, (g_rotation_bytes + bytes_per_set - 1) / std::max<size_t>(1, bytes_per_set)));
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

void time_launches(benchmark::State& state, const Launch& launch, int rotations, Cost cost) {
  cudaStream_t stream = nullptr;
  ROOFLM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
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

  cudaEvent_t start = nullptr, stop = nullptr;
  ROOFLM_CUDA_CHECK(cudaEventCreate(&start));
  ROOFLM_CUDA_CHECK(cudaEventCreate(&stop));
  for (auto _ : state) {
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

  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
}

}  // namespace rooflm::kbench
