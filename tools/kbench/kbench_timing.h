// Timing and roofline counters shared by the kbench benchmarks.
//
// time_launches() captures `launches` calls of launch(rotation, stream) (rotation cycling over the
// input sets, so bandwidth-bound kernels read HBM rather than L2) into one CUDA graph, replays it
// once as warm-up, then times each benchmark iteration as one replay between two CUDA events;
// the iteration time (manual time) is replay time / launches. Counters, per launch:
//   GB/s      minimal HBM bytes (each input read once, each output written once) / time
//   TFLOP/s   FLOPs / time
//   roof_pct  100 * roofline time / time, roofline time = max(bytes / 3.10 TB/s, FLOPs / 765 TFLOP/s),
//             the H100 ceilings measured for the project (DESIGN.md). Above 100 means the byte or
//             FLOP count is wrong (or the inputs stayed in L2).
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace rooflm::kbench {

inline constexpr double kMeasuredReadBandwidth = 3.10e12;  // bytes/s, H100 80GB HBM3 read stream
inline constexpr double kMeasuredGemmFlops = 765e12;       // FLOP/s, cuBLAS fp16 8192^3
inline constexpr size_t kRotationBytes = size_t(160) << 20;  // > 3x the H100's 50 MB L2

struct Cost {
  double bytes = 0;  // minimal HBM traffic of one launch
  double flops = 0;
};

// Number of input sets to cycle through so that the sets together exceed kRotationBytes.
int rotations_for(size_t bytes_per_set);

using Launch = std::function<void(int rotation, cudaStream_t stream)>;

// Every kbench case: manual (CUDA event) time in microseconds, a fixed number of timed graph
// replays per repetition (pass --benchmark_repetitions=N for N samples).
inline constexpr int kTimedReplays = 25;
inline benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b) {
  return b->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(kTimedReplays);
}

void time_launches(benchmark::State& state, const Launch& launch, int rotations, Cost cost);

// Device allocations of one benchmark run, freed when it ends (cudaFree synchronises: never
// inside a timed region).
class DeviceArena {
 public:
  DeviceArena() = default;
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;
  ~DeviceArena();

  // Uninitialised device memory of `bytes`.
  void* bytes(size_t bytes);
  // `count` fp16 synthetic values in (-scale, scale): never zeros, different for each stream_id.
  __half* f16(size_t count, float scale, uint64_t stream_id);

 private:
  std::vector<void*> allocations_;
};

}  // namespace rooflm::kbench
