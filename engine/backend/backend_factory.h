// Backend selection: resolves `engine.backend` ("auto" picks cuda when built and a device is
// present, else cpu) and builds the backend with its weights.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/backend/backend.h"
#include "engine/model/model_config.h"
#include "engine/roofline/gpu_spec.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct BackendOptions {
  std::string calibrate_from;  // sim: results.json whose per-phase efficiencies scale the roofline
};

// The cuda backend lives in its own library (it links the kernels); a program built with it
// registers it once at start-up (see engine/backend/cuda/cuda_register.h), so the engine library
// itself never depends on CUDA.
struct CudaBackendHooks {
  bool (*device_present)() = nullptr;
  std::unique_ptr<Backend> (*make)(const ModelConfig& config, const Scenario& scenario) = nullptr;
};
void register_cuda_backend(CudaBackendHooks hooks);

// "cpu" | "cuda" | "sim" for a requested "auto" | "cpu" | "cuda" | "sim".
std::string resolve_backend_name(const std::string& requested);

// Throws InputError when the backend is unknown or not available in this build / on this machine.
std::unique_ptr<Backend> make_backend(const std::string& name, const ModelConfig& config, const Scenario& scenario,
                                      const BackendOptions& options);

// The model's shape from a scenario's model section (preset or HF config.json).
ModelConfig resolve_model_config(const ModelSpec& model);

// The GPU spec a backend runs on: sim -> engine.gpu (required), cuda -> the device's spec if one
// matches, cpu -> none.
std::optional<GpuSpec> backend_gpu_spec(const std::string& backend_name, const EngineSpec& engine,
                                        const nlohmann::json& device_info);

}  // namespace rooflm
