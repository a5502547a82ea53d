// rooflm_kbench: Google Benchmark microbenchmarks of the CUDA kernels (manual time from CUDA events,
// see kbench_timing.h). The GPU name and the driver / runtime versions go into the JSON context.
//   rooflm_kbench --benchmark_filter=gemv --benchmark_repetitions=5 --benchmark_out=kbench.json
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "tools/kbench/kbench_register.h"

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

  rooflm::kbench::register_linear_benchmarks();
  rooflm::kbench::register_quant_linear_benchmarks();
  rooflm::kbench::register_elementwise_benchmarks();
  rooflm::kbench::register_sampling_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
