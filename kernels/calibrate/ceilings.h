// Measures this machine's ceilings for `rooflm calibrate`: streaming read bandwidth (16-byte loads
// over a buffer far larger than L2), device-to-device copy bandwidth (bytes read + written), and
// large fp16 (cuBLAS, fp32 accumulate), int8 (cuBLASLt, int32 accumulate) and, on GPUs with FP8
// tensor cores (compute capability 8.9 and later), FP8 E4M3 (cuBLASLt, fp32 accumulate) GEMM throughput.
// Each measure: warm-up, then `reps` timed repetitions with CUDA events; every sample is returned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rooflm {

struct CeilingSample {
  std::string name;             // "read_bandwidth", "d2d_copy", "gemm_fp16", "gemm_int8", "gemm_fp8"
  std::string unit;             // "bytes/s" or "flop/s" / "op/s"
  std::string shape;            // what was measured: "4 GiB", "8192x8192x8192"
  std::vector<double> samples;  // per repetition, in `unit`
  double median = 0;
};

struct CeilingOptions {
  int64_t stream_bytes = int64_t(4) << 30;  // read buffer
  int64_t copy_bytes = int64_t(2) << 30;    // copied each repetition
  int64_t gemm_n = 8192;                    // m = n = k
  int reps = 20;
};

// Runs on the current CUDA device. Throws CudaError on any CUDA/cuBLAS failure.
std::vector<CeilingSample> measure_ceilings(const CeilingOptions& options);

}  // namespace rooflm
