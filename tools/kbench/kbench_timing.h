// Timing and roofline counters shared by the kbench benchmarks.
//
// time_launches() first checks the case: one launch on rotation 0, then the case's Check against the
// CPU reference (kbench_check.h); a case that does not match is not timed. It then captures
// `launches` calls of launch(rotation, stream) (rotation cycling over the input sets, so
// bandwidth-bound kernels read HBM rather than L2) into one CUDA graph, replays it once as warm-up,
// and times each benchmark iteration as one replay between two CUDA events, with the L2 flushed
// before each (a memset of twice the L2's size, outside the events, as nvbench does); the
// iteration time (manual time) is replay time / launches. Counters, per launch:
//   GB/s      minimal HBM bytes (each input read once, each output written once) / time
//   TFLOP/s   FLOPs / time
//   roof_pct  100 * roofline time / time, roofline time = max(bytes / read bandwidth, FLOPs / fp16
//             GEMM peak), the ceilings `rooflm calibrate` measured on this GPU (the calibration file:
//             kbench --calibration FILE, $ROOFLM_CALIBRATION, or results/<gpu>/calibration.json;
//             engine/roofline/calibration.h). Above 100 means the byte or FLOP count is wrong (or
//             the inputs stayed in L2). Without a calibration there is no roof_pct.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tools/kbench/kbench_check.h"

namespace rooflm::kbench {

// The roofline's ceilings (0: none known) and where they came from.
struct Ceilings {
  double read_bandwidth_bytes_per_s = 0;
  double fp16_gemm_flops_per_s = 0;
  std::string source;
};
void set_ceilings(const Ceilings& ceilings);
const Ceilings& ceilings();

// The GPU's L2 size (set at start-up, 50 MB until then). The input sets of a case add up to at
// least 3x of it (and 160 MB), so every launch reads HBM; the flush between replays writes 2x.
void set_l2_bytes(size_t bytes);

struct Cost {
  double bytes = 0;  // minimal HBM traffic of one launch
  double flops = 0;
};

// Number of input sets to cycle through so that the sets together exceed kRotationBytes.
int rotations_for(size_t bytes_per_set);

using Launch = std::function<void(int rotation, cudaStream_t stream)>;

// Registers a kbench case: manual (CUDA event) time in microseconds, a fixed number of timed graph
// replays per repetition (pass --benchmark_repetitions=N for N samples). `name` also keys the
// case's check: it runs on the case's first repetition only (inputs and kernels are deterministic).
inline constexpr int kTimedReplays = 25;
void add_case(const std::string& name, std::function<void(benchmark::State&)> run);

void time_launches(benchmark::State& state, const Launch& launch, int rotations, Cost cost, const Check& check);

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
