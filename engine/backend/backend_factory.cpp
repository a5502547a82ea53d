// Backend selection and construction.
#include "engine/backend/backend_factory.h"

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/sim/sim_backend.h"
#include "common/error.h"
#include "engine/model/weights.h"
#include "engine/runtime/variant_run.h"

namespace rooflm {

namespace {
CudaBackendHooks& cuda_hooks() {
  static CudaBackendHooks hooks;
  return hooks;
}
// The cpu and cuda forward passes compute a plain Llama step; until they run the family recipe
// (engine/model/families/), a model that needs a family trait is refused rather than computed as a
// different model.
void require_plain_llama_step(const ModelConfig& config, const std::string& backend) {
  std::string trait;
  if (config.qkv_bias) trait = "Q/K/V bias";
  if (config.sliding_window > 0) trait = "sliding-window attention (" + std::to_string(config.sliding_window) + ")";
  if (config.rope_scaling.kind != RopeScaling::Kind::none)
    trait = std::string(rope_scaling_kind_name(config.rope_scaling.kind)) + " rope scaling";
  if (!trait.empty()) {
    throw InputError("model '" + config.name + "' (family " + std::string(family_name(config.family)) + ") needs " +
                     trait + ", which the " + backend + " backend does not run yet");
  }
}

}  // namespace

void register_cuda_backend(CudaBackendHooks hooks) { cuda_hooks() = hooks; }

std::string resolve_backend_name(const std::string& requested) {
  if (requested == "auto") return cuda_hooks().make && cuda_hooks().device_present() ? "cuda" : "cpu";
  return requested;
}

ModelConfig resolve_model_config(const ModelSpec& model) {
  ModelConfig config = model.preset.empty() ? model_config_from_hf(model.config_path)
                                            : model_preset(model.preset);
  config.validate();
  return config;
}

std::optional<GpuSpec> backend_gpu_spec(const std::string& backend_name, const EngineSpec& engine,
                                        const nlohmann::json& device_info) {
  if (backend_name == "sim") {
    if (engine.gpu.empty())
      throw InputError("engine.gpu is required by the sim backend (e.g. --gpu h100-sxm; see rooflm list gpus)");
    return gpu_spec(engine.gpu);
  }
  if (backend_name == "cuda" && device_info.contains("gpu") && device_info["gpu"].is_string())
    return match_gpu_spec(device_info["gpu"].get<std::string>());
  return std::nullopt;
}

std::unique_ptr<Backend> make_backend(const std::string& name, const ModelConfig& config, const Scenario& scenario,
                                      const BackendOptions& options) {
  const EngineSpec& engine = scenario.engine;
  if (name == "cpu" || name == "cuda") require_plain_llama_step(config, name);
  if (name == "cpu") {
    ModelWeights weights = scenario.model.weights_dir.empty()
                               ? synthetic_weights(config, scenario.model.seed)
                               : load_safetensors_weights(scenario.model.weights_dir, config);
    return std::make_unique<CpuBackend>(config, std::move(weights), int(engine.threads));
  }
  if (name == "sim") {
    SimEfficiency eff;
    if (!options.calibrate_from.empty())
      eff = sim_efficiency_from_results(options.calibrate_from, variant_label(scenario.sweep_point));
    return std::make_unique<SimBackend>(config, *backend_gpu_spec(name, engine, {}),
                                        precision_named(engine.precision, engine.kv_cache.dtype),
                                        parse_kernel_set(engine.kernels), eff);
  }
  if (name == "cuda") {
    if (!cuda_hooks().make) throw InputError("engine.backend \"cuda\": this rooflm was built without CUDA");
    if (!cuda_hooks().device_present()) throw InputError("engine.backend \"cuda\": no CUDA device is present");
    return cuda_hooks().make(config, scenario);
  }
  throw InputError("engine.backend \"" + name + "\" is unknown (have: cpu, cuda, sim)");
}

}  // namespace rooflm
