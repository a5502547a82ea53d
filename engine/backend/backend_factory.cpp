// Backend selection and construction.
#include "engine/backend/backend_factory.h"

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/common/error.h"
#include "engine/model/weights.h"

namespace rooflm {

std::string resolve_backend_name(const std::string& requested) {
  if (requested == "auto") return "cpu";  // the cuda backend joins here once it exists
  return requested;
}

ModelConfig resolve_model_config(const ModelSpec& model) {
  ModelConfig config = model.preset.empty() ? model_config_from_hf(model.config_path)
                                            : model_preset(model.preset);
  config.validate();
  return config;
}

std::unique_ptr<Backend> make_backend(const std::string& name, const ModelConfig& config,
                                      const ModelSpec& model, const EngineSpec& engine) {
  if (name == "cpu") {
    ModelWeights weights = model.weights_dir.empty() ? synthetic_weights(config, model.seed)
                                                     : load_safetensors_weights(model.weights_dir, config);
    return std::make_unique<CpuBackend>(config, std::move(weights), int(engine.threads));
  }
  throw InputError("engine.backend \"" + name + "\" is not available in this build (available: cpu)");
}

}  // namespace rooflm
