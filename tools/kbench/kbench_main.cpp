// rooflm_kbench: Google Benchmark microbenchmarks of the CUDA kernels (manual time from CUDA events,
// see kbench_timing.h). The GPU name, the driver / runtime versions and the roofline's ceilings
// (from the calibration file, and which file) go into the JSON context. Every case is checked
// against the CPU reference before it is timed (kbench_check.h); exit 1 when one does not match.
//   rooflm_kbench [--calibration FILE] --benchmark_filter=gemv --benchmark_repetitions=5 --benchmark_out=kbench.json
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/roofline/calibration.h"
#include "engine/roofline/gpu_spec.h"

#include "tools/kbench/kbench_register.h"
#include "tools/kbench/kbench_timing.h"

int main(int argc, char** argv) {
  cudaDeviceProp prop{};
  int driver = 0, runtime = 0;
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    std::fprintf(stderr, "rooflm_kbench: no CUDA device\n");
    return 1;
  }
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  benchmark::AddCustomContext("gpu", prop.name);
  benchmark::AddCustomContext("gpu_sms", std::to_string(prop.multiProcessorCount));
  benchmark::AddCustomContext("gpu_l2_bytes", std::to_string(prop.l2CacheSize));
  benchmark::AddCustomContext("cuda_driver", std::to_string(driver));
  benchmark::AddCustomContext("cuda_runtime", std::to_string(runtime));

  // --calibration FILE (before Google Benchmark sees the arguments): as $ROOFLM_CALIBRATION.
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--calibration") == 0) {
      setenv("ROOFLM_CALIBRATION", argv[i + 1], 1);
      for (int j = i; j + 2 <= argc; ++j) argv[j] = argv[j + 2];
      argc -= 2;
      break;
    }
  rooflm::kbench::set_l2_bytes(size_t(prop.l2CacheSize));
  try {
    const std::optional<rooflm::GpuSpec> spec = rooflm::match_gpu_spec(prop.name);
    const std::optional<rooflm::Calibration> cal = rooflm::find_calibration(spec ? spec->name : std::string(prop.name));
    if (cal) {
      rooflm::kbench::set_ceilings({cal->read_bandwidth_bytes_per_s, cal->fp16_gemm_flops_per_s, cal->file.string()});
      benchmark::AddCustomContext("ceilings", cal->file.string());
      benchmark::AddCustomContext("read_bandwidth_bytes_per_s", std::to_string(cal->read_bandwidth_bytes_per_s));
      benchmark::AddCustomContext("fp16_gemm_flops_per_s", std::to_string(cal->fp16_gemm_flops_per_s));
    } else {
      benchmark::AddCustomContext("ceilings", "none: no calibration for this GPU (rooflm calibrate; --calibration FILE)");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rooflm_kbench: %s\n", e.what());
    return 2;
  }

  rooflm::kbench::register_linear_benchmarks();
  rooflm::kbench::register_quant_linear_benchmarks();
  rooflm::kbench::register_elementwise_benchmarks();
  rooflm::kbench::register_sampling_benchmarks();
  rooflm::kbench::register_attention_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  const rooflm::kbench::CheckTally& tally = rooflm::kbench::check_tally();
  if (tally.mismatched > 0) {
    std::fprintf(stderr, "rooflm_kbench: %d of %d cases do not match the CPU reference (not timed; see their errors)\n",
                 tally.mismatched, tally.checked);
    return 1;
  }
  std::fprintf(stderr, "rooflm_kbench: all results match the CPU reference (%d cases checked before timing)\n",
               tally.checked);
  return 0;
}
