// Backend selection and construction.
#include "engine/backend/backend_factory.h"

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/cpu/cpu_ranks_backend.h"
#include "engine/backend/cpu/host_memory.h"
#include "engine/backend/sim/sim_backend.h"
#include "common/error.h"
#include "engine/model/prequantized_weights.h"
#include "engine/model/quant_scales.h"
#include "engine/model/smoothing.h"
#include "engine/model/weights.h"
#include "engine/runtime/variant_run.h"

namespace rooflm {

namespace fs = std::filesystem;

namespace {
CudaBackendHooks& cuda_hooks() {
  static CudaBackendHooks hooks;
  return hooks;
}
}  // namespace

void register_cuda_backend(CudaBackendHooks hooks) { cuda_hooks() = hooks; }

BackendKind resolve_backend(std::optional<BackendKind> requested) {
  if (requested) return *requested;
  return cuda_hooks().make && cuda_hooks().device_present() ? BackendKind::cuda : BackendKind::cpu;
}

ModelConfig resolve_model_config(const ModelSpec& model) {
  ModelConfig config = model.preset.empty() ? model_config_from_hf(model.config_path)
                                            : model_preset(model.preset);
  config.validate();
  return config;
}

ModelWeights host_model_weights(const ModelSpec& model, const ModelConfig& config, LayerLinearWeights linears) {
  require_host_memory("model '" + config.name + "' (" + std::to_string(config.n_params()) +
                          " parameters in fp32 on the host)",
                      config.n_params() * int64_t(sizeof(float)));
  return model.weights_dir.empty() ? synthetic_weights(config, model.seed, model.outliers)
                                   : load_safetensors_weights(model.weights_dir, config, linears);
}

std::vector<QuantizedLayer> prequantized_layers(const Scenario& scenario, const ModelConfig& config,
                                                const Variant& requested) {
  const fs::path& dir = scenario.model.weights_dir;
  if (dir.empty() || !requested.quantised_weights()) return {};
  std::optional<std::vector<QuantizedLayer>> layers = load_prequantized_layers(dir, config, precision_dtypes(requested));
  if (!layers) return {};
  if (!scenario.quant.scales.empty())
    throw InputError("quant.scales: model.weights " + dir.string() +
                     " is a pre-quantised checkpoint, whose weights cannot be smoothed (SmoothQuant divides the fp16 "
                     "weights before they are quantised): remove quant.scales and run engine.activation_scales "
                     "\"dynamic\" (the checkpoint's input_scale tensors are not read)");
  return std::move(*layers);
}

QuantScales read_scenario_quant_scales(const Scenario& scenario, const StepProgram& program) {
  try {
    return read_quant_scales(scenario.quant.scales, program);
  } catch (const InputError& error) {
    throw InputError(std::string("quant.scales: ") + error.what());
  }
}

bool uses_quant_scales(const Scenario& scenario, const Variant& requested) {
  return !scenario.quant.scales.empty() && requested.quantised_activations();
}

ScenarioQuantScales scenario_quant_scales(const Scenario& scenario, const ModelConfig& config, const Variant& requested) {
  if (!uses_quant_scales(scenario, requested)) return {};
  const QuantScales scales = read_scenario_quant_scales(scenario, build_step_program(config, requested));
  ScenarioQuantScales out;
  out.smoothing = smoothing_of(scales, config);
  if (requested.activation_scales == ActivationScales::static_calibrated)
    out.static_scales = static_activation_scales(scales, requested.precision);
  return out;
}

StaticActivationScales apply_quant_scales(const Scenario& scenario, const ModelConfig& config,
                                          const Variant& requested, ModelWeights& weights) {
  ScenarioQuantScales scales = scenario_quant_scales(scenario, config, requested);
  weights = apply_smoothing(std::move(weights), config, scales.smoothing);
  return std::move(scales.static_scales);
}

std::optional<GpuSpec> backend_gpu_spec(BackendKind kind, const EngineSpec& engine, const nlohmann::json& device_info) {
  switch (kind) {
    case BackendKind::sim:
      if (engine.gpu.empty())
        throw InputError("engine.gpu is required by the sim backend (e.g. --gpu h100-sxm; see rooflm list gpus)");
      return gpu_spec(engine.gpu);
    case BackendKind::cuda:
      if (device_info.contains("gpu") && device_info["gpu"].is_string())
        return match_gpu_spec(device_info["gpu"].get<std::string>());
      return std::nullopt;
    case BackendKind::cpu:
      return std::nullopt;
  }
  return std::nullopt;
}

std::unique_ptr<Backend> make_backend(BackendKind kind, const ModelConfig& config, const Scenario& scenario,
                                      const BackendOptions& options) {
  const EngineSpec& engine = scenario.engine;
  const Variant requested = requested_variant(engine, kind);
  switch (kind) {
    case BackendKind::cpu: {
      if (requested.tensor_parallel > 1) {
        (void)build_step_program(config, requested);  // InputError naming the field a shard cannot split
        return std::make_unique<CpuRanksBackend>(config, host_model_weights(scenario.model, config), requested,
                                                 int(engine.threads));
      }
      std::vector<QuantizedLayer> prequantized = prequantized_layers(scenario, config, requested);
      ModelWeights weights = host_model_weights(
          scenario.model, config, prequantized.empty() ? LayerLinearWeights::load : LayerLinearWeights::skip);
      StaticActivationScales static_scales = apply_quant_scales(scenario, config, requested, weights);
      return std::make_unique<CpuBackend>(config, std::move(weights), requested, int(engine.threads),
                                          std::move(static_scales), std::move(prequantized));
    }
    case BackendKind::sim: {
      SimEfficiency eff;
      if (!options.calibrate_from.empty())
        eff = sim_efficiency_from_results(options.calibrate_from, variant_label(scenario.sweep_point));
      return std::make_unique<SimBackend>(config, *backend_gpu_spec(kind, engine, {}), requested, eff);
    }
    case BackendKind::cuda:
      if (!cuda_hooks().make) throw InputError("engine.backend \"cuda\": this rooflm was built without CUDA");
      if (!cuda_hooks().device_present()) throw InputError("engine.backend \"cuda\": no CUDA device is present");
      return cuda_hooks().make(config, scenario);
  }
  ROOFLM_CHECK(false, "unknown backend kind");
  return nullptr;
}

}  // namespace rooflm
