// Calibration: the ceilings `rooflm calibrate` measured on a machine (schema rooflm.calibration/1).
// Runs pick it up to report MBU/MFU against the measured ceiling beside the datasheet one:
// $ROOFLM_CALIBRATION (a file) if set, else results/<folder>/calibration.json in the source tree,
// where <folder> is the GPU spec's results folder ("h100" for h100-sxm) or the spec name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rooflm {

inline constexpr const char* kCalibrationSchema = "rooflm.calibration/1";

struct Calibration {
  std::string gpu;       // device name as the driver reports it
  std::string gpu_spec;  // matched spec name, or empty
  double read_bandwidth_bytes_per_s = 0;
  double copy_bandwidth_bytes_per_s = 0;  // read + written bytes counted
  double fp16_gemm_flops_per_s = 0;
  double int8_gemm_ops_per_s = 0;
  double fp8_gemm_flops_per_s = 0;  // 0: not measured (no FP8 tensor cores, or an older file)
  std::filesystem::path file;  // where it was read from (empty when measured now)

  nlohmann::json to_json() const;  // {"schema", "gpu", "gpu_spec", "ceilings": {...}}
  static Calibration from_json(const nlohmann::json& j, const std::filesystem::path& file);
};

// The results folder name for a spec: "h100-sxm" -> "h100" (the device the project is measured
// on); other names map to themselves.
std::string results_folder_for(const std::string& spec_name);
std::filesystem::path default_calibration_path(const std::string& spec_name);

// The calibration for this spec, if one exists (see the file comment). Throws InputError naming
// the file when it exists but is malformed.
std::optional<Calibration> find_calibration(const std::string& spec_name);

}  // namespace rooflm
