// GpuSpec: datasheet ceilings of one GPU, loaded at run time from engine/roofline/gpus/<name>.json
// (one file per GPU; add a GPU by adding a file). Every figure is the dense datasheet number (never
// the "with sparsity" one); bandwidths and FLOP/s are decimal (1 TB/s = 1e12 bytes/s); memory and
// L2 capacities are the datasheet GB/MB read as binary GiB/MiB, the unit GPU memory is built in
// (the driver reports a little less: ECC and firmware reservations).
//
// File fields (all required, numbers > 0):
//   name (= the file's stem), display_name, match (device names this spec is for, as
//   cudaGetDeviceProperties / nvidia-smi print them), memory_bandwidth_bytes_per_s,
//   fp16_tensor_flops_per_s, int8_tensor_ops_per_s, fp32_flops_per_s (CUDA cores, no tensor cores),
//   memory_bytes, l2_bytes, sm_count, source (where the figures come from).
// Optional: fp8_tensor_flops_per_s (dense FP8 E4M3 tensor math, fp32 accumulate), on GPUs with FP8
// tensor cores; without it engine.precision "fp8" is refused for the GPU. interconnect {kind
// "nvlink" | "pcie", bandwidth_bytes_per_s (per GPU, one direction), latency_s (one ring step of an
// all-reduce), source}: what tensor-parallel all-reduces are timed against; without it
// engine.tensor_parallel > 1 is refused for the GPU.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

// The link a GPU's all-reduces cross (NVLink through NVSwitch, or PCIe).
struct Interconnect {
  std::string kind;                  // "nvlink" | "pcie"
  double bandwidth_bytes_per_s = 0;  // per GPU, one direction
  double latency_s = 0;              // one step of a ring all-reduce
  std::string source;

  nlohmann::json to_json() const;
};

struct GpuSpec {
  std::string name;                   // short name used on the command line: "h100-sxm"
  std::string display_name;           // "NVIDIA H100 SXM5 80GB"
  std::vector<std::string> match;     // device names, e.g. "NVIDIA H100 80GB HBM3"
  double memory_bandwidth_bytes_per_s = 0;
  double fp16_tensor_flops_per_s = 0;  // dense fp16/bf16 tensor-core math, fp32 accumulate
  double int8_tensor_ops_per_s = 0;    // dense int8 tensor-core math, int32 accumulate
  std::optional<double> fp8_tensor_flops_per_s;  // dense fp8 (e4m3) tensor-core math; absent: no FP8
  double fp32_flops_per_s = 0;         // CUDA-core (non-tensor) fp32
  int64_t memory_bytes = 0;
  int64_t l2_bytes = 0;
  int64_t sm_count = 0;
  std::optional<Interconnect> interconnect;
  std::string source;

  nlohmann::json to_json() const;
};

// The folder the spec files are read from: $ROOFLM_SOURCE_DIR/engine/roofline/gpus when that
// variable is set, else the same path under the source tree this binary was built from.
std::filesystem::path gpu_spec_dir();

// Every spec file of gpu_spec_dir(), sorted by name. Throws InputError naming the file and the
// field when a file is malformed (missing field, wrong type, value <= 0, name != file stem).
std::vector<GpuSpec> load_gpu_specs();

// The spec called `name` (case-insensitive; a device name from a spec's match list works too).
// Throws InputError listing the valid names and suggesting the nearest one.
GpuSpec gpu_spec(std::string_view name);

// The spec whose match list holds `device_name` (case-insensitive, surrounding blanks and a leading
// "NVIDIA " ignored on both sides). Whole names only: "NVIDIA A100-SXM4-40GB" never matches "A10",
// and a variant with other clocks (H200 NVL, MIG slices) matches nothing rather than the wrong part.
std::optional<GpuSpec> match_gpu_spec(std::string_view device_name);

}  // namespace rooflm
