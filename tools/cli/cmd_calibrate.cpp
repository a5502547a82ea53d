// `rooflm calibrate [-o/--output FILE] [--quick]`: measures this machine's ceilings (read bandwidth,
// device-to-device copy, cuBLAS fp16, cuBLASLt int8 and (FP8 GPUs) e4m3 GEMM) and writes a calibration file that
// later runs pick up for their "measured ceiling" MBU/MFU (default: results/<gpu>/calibration.json).
#include <iostream>

#include "common/error.h"
#include "common/source_dir.h"
#include "engine/results/results.h"
#include "engine/roofline/calibration.h"
#include "engine/roofline/gpu_spec.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_flags.h"
#include "tools/cli/output_path.h"
#include "tools/cli/text_table.h"

#if ROOFLM_HAVE_CUDA
#include "kernels/calibrate/ceilings.h"
#include "kernels/common/device_info.h"
#endif

namespace rooflm {
namespace {

void calibrate(const std::string& out_arg, bool quick) {
#if ROOFLM_HAVE_CUDA
  if (!cuda_device_present()) throw std::runtime_error("calibrate needs a CUDA device and none was found");
  const nlohmann::json device = cuda_device_info();
  const std::string gpu_name = device.at("gpu").get<std::string>();
  const auto spec = match_gpu_spec(gpu_name);
  const std::filesystem::path out =
      out_arg.empty() ? default_calibration_path(spec ? spec->name : gpu_name) : std::filesystem::path(out_arg);
  require_writable_file(out, "--output");  // before measuring
  CeilingOptions options;
  if (quick) {
    options.stream_bytes = int64_t(1) << 30;
    options.copy_bytes = int64_t(512) << 20;
    options.gemm_n = 4096;
    options.reps = 5;
  }
  std::cerr << "rooflm: calibrating " << gpu_name << (spec ? " (spec " + spec->name + ")" : " (no datasheet spec)")
            << "...\n";
  const std::vector<CeilingSample> samples = measure_ceilings(options);

  Calibration cal;
  cal.gpu = gpu_name;
  cal.gpu_spec = spec ? spec->name : "";
  nlohmann::json sample_json = nlohmann::json::array();
  for (const auto& s : samples) {
    if (s.name == "read_bandwidth") cal.read_bandwidth_bytes_per_s = s.median;
    if (s.name == "d2d_copy") cal.copy_bandwidth_bytes_per_s = s.median;
    if (s.name == "gemm_fp16") cal.fp16_gemm_flops_per_s = s.median;
    if (s.name == "gemm_int8") cal.int8_gemm_ops_per_s = s.median;
    if (s.name == "gemm_fp8") cal.fp8_gemm_flops_per_s = s.median;
    sample_json.push_back({{"name", s.name}, {"unit", s.unit}, {"shape", s.shape}, {"median", s.median}, {"samples", s.samples}});
  }
  nlohmann::json doc = cal.to_json();
  doc["environment"] = capture_environment(device);
  doc["measurements"] = sample_json;
  write_json_atomic(out, doc);

  TextTable t({"ceiling", "measured", "datasheet", "ratio"});
  auto row = [&](const char* name, double measured, double sheet, double unit, const char* u) {
    t.add_row({name, fmt_num(measured / unit, 1) + u, sheet > 0 ? fmt_num(sheet / unit, 1) + u : "-",
               sheet > 0 ? fmt_num(100 * measured / sheet, 1) + "%" : "-"});
  };
  row("read bandwidth", cal.read_bandwidth_bytes_per_s, spec ? spec->memory_bandwidth_bytes_per_s : 0, 1e12, " TB/s");
  row("d2d copy (r+w)", cal.copy_bandwidth_bytes_per_s, spec ? spec->memory_bandwidth_bytes_per_s : 0, 1e12, " TB/s");
  row("fp16 GEMM", cal.fp16_gemm_flops_per_s, spec ? spec->fp16_tensor_flops_per_s : 0, 1e12, " TFLOP/s");
  row("int8 GEMM", cal.int8_gemm_ops_per_s, spec ? spec->int8_tensor_ops_per_s : 0, 1e12, " TOP/s");
  if (cal.fp8_gemm_flops_per_s > 0)
    row("fp8 GEMM", cal.fp8_gemm_flops_per_s, spec && spec->fp8_tensor_flops_per_s ? *spec->fp8_tensor_flops_per_s : 0,
        1e12, " TFLOP/s");
  t.print(std::cout);
  std::cout << "calibration: " << out.string() << "\n";
#else
  (void)out_arg;
  (void)quick;
  throw std::runtime_error("calibrate needs the CUDA backend, and this rooflm was built without CUDA");
#endif
}

}  // namespace

void add_calibrate_command(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  auto quick = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand("calibrate", "Measure this GPU's bandwidth and GEMM ceilings");
  add_output_file_option(sub, *out, "Calibration file (default: results/<gpu>/calibration.json)");
  sub->add_flag("--quick", *quick, "Smaller buffers and fewer repetitions (for smoke tests)");
  sub->callback([out, quick] { calibrate(*out, *quick); });
}

}  // namespace rooflm
