// Calibration file read/write and lookup.
#include "engine/roofline/calibration.h"

#include <cstdlib>

#include "common/error.h"
#include "common/json_text.h"
#include "common/source_dir.h"

namespace rooflm {

nlohmann::json Calibration::to_json() const {
  nlohmann::json j = {{"schema", kCalibrationSchema},
                      {"gpu", gpu},
                      {"gpu_spec", gpu_spec.empty() ? nlohmann::json(nullptr) : nlohmann::json(gpu_spec)},
                      {"ceilings",
                       {{"read_bandwidth_bytes_per_s", read_bandwidth_bytes_per_s},
                        {"copy_bandwidth_bytes_per_s", copy_bandwidth_bytes_per_s},
                        {"fp16_gemm_flops_per_s", fp16_gemm_flops_per_s},
                        {"int8_gemm_ops_per_s", int8_gemm_ops_per_s}}}};
  if (fp8_gemm_flops_per_s > 0) j["ceilings"]["fp8_gemm_flops_per_s"] = fp8_gemm_flops_per_s;
  return j;
}

Calibration Calibration::from_json(const nlohmann::json& j, const std::filesystem::path& file) {
  const std::string where = file.string() + ": ";
  if (!j.is_object() || j.value("schema", "") != kCalibrationSchema)
    throw InputError(where + "\"schema\" must be \"" + kCalibrationSchema + "\"");
  Calibration c;
  c.file = file;
  c.gpu = j.value("gpu", "");
  if (j.contains("gpu_spec") && j["gpu_spec"].is_string()) c.gpu_spec = j["gpu_spec"].get<std::string>();
  if (!j.contains("ceilings") || !j["ceilings"].is_object()) throw InputError(where + "missing \"ceilings\"");
  const auto& ce = j["ceilings"];
  auto num = [&](const char* key) {
    if (!ce.contains(key) || !ce[key].is_number() || ce[key].get<double>() <= 0)
      throw InputError(where + "\"ceilings." + key + "\" must be a number > 0");
    return ce[key].get<double>();
  };
  c.read_bandwidth_bytes_per_s = num("read_bandwidth_bytes_per_s");
  c.copy_bandwidth_bytes_per_s = num("copy_bandwidth_bytes_per_s");
  c.fp16_gemm_flops_per_s = num("fp16_gemm_flops_per_s");
  c.int8_gemm_ops_per_s = num("int8_gemm_ops_per_s");
  if (ce.contains("fp8_gemm_flops_per_s")) c.fp8_gemm_flops_per_s = num("fp8_gemm_flops_per_s");  // optional
  return c;
}

std::string results_folder_for(const std::string& spec_name) {
  return spec_name == "h100-sxm" ? "h100" : spec_name;
}

std::filesystem::path default_calibration_path(const std::string& spec_name) {
  return source_dir() / "results" / results_folder_for(spec_name) / "calibration.json";
}

std::optional<Calibration> find_calibration(const std::string& spec_name) {
  std::filesystem::path file;
  if (const char* env = std::getenv("ROOFLM_CALIBRATION"); env && *env)
    file = env;
  else
    file = default_calibration_path(spec_name);
  if (!std::filesystem::exists(file)) return std::nullopt;
  return Calibration::from_json(read_json_file(file, kMaxSmallJsonFileBytes, "calibration file"), file);
}

}  // namespace rooflm
