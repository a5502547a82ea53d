// `rooflm list [models|gpus|kernels|scenarios]`: what rooflm knows about.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "common/source_dir.h"
#include "engine/model/model_config.h"
#include "engine/roofline/calibration.h"
#include "engine/roofline/gpu_spec.h"
#include "engine/scenario/scenario.h"
#include "tools/cli/commands.h"
#include "tools/cli/text_table.h"

namespace rooflm {
namespace {

// 1e-06, 8, 2.5: the shortest form.
std::string general(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// "none", "linear x4", "llama3 x8 / 8192" (factor over the original context).
std::string rope_scaling_text(const RopeScaling& s) {
  std::string text(rope_scaling_kind_name(s.kind));
  if (s.kind != RopeScaling::Kind::none) text += " x" + general(s.factor);
  if (s.kind == RopeScaling::Kind::llama3) text += " / " + std::to_string(s.original_max_positions);
  return text;
}

void list_models() {
  TextTable t({"model", "family", "params", "hidden", "layers", "heads", "kv heads", "head dim", "ffn", "vocab",
               "max pos", "rope theta", "rope scaling", "qkv bias", "window", "tied", "rms eps"});
  for (const auto& name : model_preset_names()) {
    const ModelConfig c = model_preset(name);
    t.add_row({name, std::string(family_name(c.family)), fmt_num(double(c.n_params()) / 1e9, 2) + "B",
               std::to_string(c.hidden), std::to_string(c.n_layers), std::to_string(c.n_heads),
               std::to_string(c.n_kv_heads), std::to_string(c.head_dim), std::to_string(c.ffn), std::to_string(c.vocab),
               std::to_string(c.max_positions), fmt_num(c.rope_theta, 0), rope_scaling_text(c.rope_scaling),
               c.qkv_bias ? "yes" : "-", c.sliding_window > 0 ? std::to_string(c.sliding_window) : "-",
               c.tied_embeddings ? "yes" : "-", general(c.rms_eps)});
  }
  t.print(std::cout);
  std::cout << "rope scaling: type x factor / original context; window: sliding-window attention (positions)\n";
}

void list_gpus() {
  TextTable t({"gpu", "name", "HBM TB/s", "fp16 TFLOP/s", "int8 TOP/s", "fp8 TFLOP/s", "fp32 TFLOP/s",
               "memory GiB", "L2 MiB", "SMs", "calibrated"});
  for (const GpuSpec& g : load_gpu_specs()) {
    const auto cal = find_calibration(g.name);
    t.add_row({g.name, g.display_name, fmt_num(g.memory_bandwidth_bytes_per_s / 1e12, 2),
               fmt_num(g.fp16_tensor_flops_per_s / 1e12, 1), fmt_num(g.int8_tensor_ops_per_s / 1e12, 1),
               g.fp8_tensor_flops_per_s ? fmt_num(*g.fp8_tensor_flops_per_s / 1e12, 1) : "-",
               fmt_num(g.fp32_flops_per_s / 1e12, 1), fmt_num(double(g.memory_bytes) / double(1 << 30), 0),
               fmt_num(double(g.l2_bytes) / double(1 << 20), 0), std::to_string(g.sm_count),
               cal ? fmt_num(cal->read_bandwidth_bytes_per_s / 1e12, 2) + " TB/s, " +
                         fmt_num(cal->fp16_gemm_flops_per_s / 1e12, 0) + " TFLOP/s"
                   : "-"});
  }
  t.print(std::cout);
  std::cout << "datasheet dense peaks (no sparsity); 'calibrated' = measured read bandwidth and fp16 GEMM "
               "(rooflm calibrate)\n";
}

void list_kernels() {
  TextTable t({"backend", "kernel", "what"});
  t.add_row({"cpu", "cpu_reference_fp32", "fp32 forward pass on fp16-rounded weights (test oracle)"});
  t.add_row({"cpu", "cpu_reference_int8", "W8A16: int8 weights (fp16 scales) dequantised, fp32 math"});
  t.add_row({"cpu", "cpu_reference_w8a8", "int8 weights x int8 inputs, exact int32 sums, scaled epilogue"});
  t.add_row({"cpu", "cpu_reference_fp8", "E4M3 weights x E4M3 inputs, fp32 sums, scaled epilogue"});
  t.print(std::cout);
}

void list_scenarios() {
  const auto dir = source_dir() / "scenarios";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json" && e.path().filename() != "scenario.schema.json")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  TextTable t({"scenario", "variants", "description"});
  for (const auto& f : files) {
    try {
      const auto points = load_scenario(f);
      t.add_row({std::filesystem::relative(f, source_dir()).string(), std::to_string(points.size()),
                 points.front().description});
    } catch (const InputError& e) {
      t.add_row({std::filesystem::relative(f, source_dir()).string(), "-", std::string("INVALID: ") + e.what()});
    }
  }
  t.print(std::cout);
}

}  // namespace

void add_list_command(CLI::App& app) {
  auto what = std::make_shared<std::string>("models");
  CLI::App* sub = app.add_subcommand("list", "List models, gpus, kernels or scenarios");
  sub->add_option("what", *what, "models | gpus | kernels | scenarios")
      ->check(CLI::IsMember({"models", "gpus", "kernels", "scenarios"}));
  sub->callback([what] {
    if (*what == "models") list_models();
    if (*what == "kernels") list_kernels();
    if (*what == "scenarios") list_scenarios();
    if (*what == "gpus") list_gpus();
  });
}

}  // namespace rooflm
