// `rooflm roofline`: the roofline calculator on the command line. Predicts the prefill step, the
// decode step at the mean context, throughput and the memory footprint of a model on a GPU.
// Example: rooflm roofline --model llama2-7b --gpu a10 --prompt 350 --output 128 [--tp 2] [--json] [--ops]
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "engine/model/model_config.h"
#include "engine/roofline/roofline_calc.h"
#include "engine/scenario/scenario_limits.h"
#include "tools/cli/commands.h"
#include "tools/cli/option_enum.h"

namespace rooflm {
namespace {

struct RooflineOptions {
  std::string model;
  std::string gpu;
  int64_t prompt_tokens = 350;
  int64_t output_tokens = 128;
  int64_t batch = 1;
  std::string precision = "fp16";
  std::string kv_dtype = "fp16";
  std::string kernels = "fused";
  int64_t tensor_parallel = 1;
  bool json = false;
  bool per_op = false;
};

// A path to a config.json (or its folder) when one exists there; a preset name otherwise.
ModelConfig resolve_model(const std::string& model) {
  std::error_code error;
  if (std::filesystem::exists(model, error)) return model_config_from_hf(model);
  if (model.find('/') != std::string::npos || model.ends_with(".json"))
    throw InputError("--model: no such file or folder \"" + model + "\"");
  return model_preset(model);
}

void run_roofline(const RooflineOptions& options) {
  RooflineQuery query;
  query.model = resolve_model(options.model);
  query.gpu = gpu_spec(options.gpu);
  query.precision = parse_option("--precision", kPrecisionNames,
                                 {Precision::fp16, Precision::int8, Precision::w8a8, Precision::fp8},
                                  options.precision);
  query.kv_dtype = parse_option("--kv-dtype", kKvDtypeNames, {DType::f16, DType::i8, DType::f8e4m3}, options.kv_dtype);
  query.kernels = parse_option("--kernels", kKernelSetNames, {KernelSet::naive, KernelSet::fused}, options.kernels);
  query.prompt_tokens = options.prompt_tokens;
  query.output_tokens = options.output_tokens;
  query.batch = options.batch;
  if (options.tensor_parallel < 1 || options.tensor_parallel > kMaxTensorParallel)
    throw InputError("--tp " + std::to_string(options.tensor_parallel) + ": must be 1.." +
                     std::to_string(kMaxTensorParallel) + " (GPUs of one NVLink / NVSwitch node)");
  query.tensor_parallel = int32_t(options.tensor_parallel);
  const RooflineReport report = compute_roofline(query);
  if (options.json) {
    std::cout << report.to_json().dump(2) << "\n";
  } else {
    std::cout << report.to_text(options.per_op);
  }
}

}  // namespace

void add_roofline_command(CLI::App& app) {
  auto options = std::make_shared<RooflineOptions>();
  CLI::App* sub = app.add_subcommand(
      "roofline", "Predict prefill and decode time, throughput and memory of a model on a GPU from datasheet peaks");
  sub->add_option("--model", options->model, "Model preset name or path to a Hugging Face config.json (or its folder)")
      ->required();
  sub->add_option("--gpu", options->gpu, "GPU spec name (rooflm list gpus) or device name, e.g. a10, h100-sxm")
      ->required();
  sub->add_option("--prompt", options->prompt_tokens, "Prompt tokens per request")->capture_default_str();
  sub->add_option("--output", options->output_tokens, "Output tokens per request")->capture_default_str();
  sub->add_option("--batch", options->batch, "Requests running together")->capture_default_str();
  sub->add_option("--precision", options->precision, "fp16 | int8 (W8A16) | w8a8 (SmoothQuant) | fp8 (E4M3)")
      ->capture_default_str();
  sub->add_option("--kv-dtype", options->kv_dtype, "KV-cache dtype: fp16 | int8 | fp8")->capture_default_str();
  sub->add_option("--kernels", options->kernels, "Kernel set: fused | naive")->capture_default_str();
  sub->add_option("--tp", options->tensor_parallel,
                  "Tensor-parallel ranks (Megatron): each figure is one GPU's, all-reduces on the GPU spec's interconnect")
      ->capture_default_str();
  sub->add_flag("--json", options->json, "Print the full report as JSON (per-op costs included)");
  sub->add_flag("--ops", options->per_op, "Also print the per-op table of the prefill and decode steps");
  sub->callback([options] { run_roofline(*options); });
}

}  // namespace rooflm
