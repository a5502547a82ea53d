// Backend selection: resolves `engine.backend` ("auto" picks cuda when built and a device is
// present, else cpu) and builds the backend with its weights.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/metrics/telemetry_source.h"
#include "engine/model/model_config.h"
#include "engine/model/quant_scales.h"
#include "engine/model/quantized_layer.h"
#include "engine/model/static_scales.h"
#include "engine/model/weights.h"
#include "engine/roofline/gpu_spec.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct BackendOptions {
  std::string calibrate_from;  // sim: results.json whose per-phase efficiencies scale the roofline
  // GPU telemetry of the measured repetitions (engine/runtime/variant_telemetry.h): empty = NVML on
  // the cuda backend's device, none elsewhere; set (tests), this source on any backend.
  std::function<std::unique_ptr<TelemetrySource>()> telemetry_source;
  std::chrono::milliseconds telemetry_period = kDefaultTelemetryPeriod;
};

// The cuda backend lives in its own library (it links the kernels); a program built with it
// registers it once at start-up (see engine/backend/cuda/cuda_register.h), so the engine library
// itself never depends on CUDA.
struct CudaBackendHooks {
  bool (*device_present)() = nullptr;
  std::unique_ptr<Backend> (*make)(const ModelConfig& config, const Scenario& scenario) = nullptr;
};
void register_cuda_backend(CudaBackendHooks hooks);

// The backend an engine.backend asks for (nullopt = "auto": cuda when this rooflm was built with
// CUDA and a device is present, else cpu).
BackendKind resolve_backend(std::optional<BackendKind> requested);

// Builds `kind` for the scenario's variant. Throws InputError when the backend is not available in
// this build / on this machine, or cannot run the variant (the message names the axis).
std::unique_ptr<Backend> make_backend(BackendKind kind, const ModelConfig& config, const Scenario& scenario,
                                      const BackendOptions& options);

// The model's shape from a scenario's model section (preset or HF config.json).
ModelConfig resolve_model_config(const ModelSpec& model);

// The host (fp32, fp16-rounded) weights of a scenario's model section: seeded synthetic ones (with
// model.synthetic_outliers planted) or the safetensors folder's (`linears`: load_safetensors_weights).
// Throws InputError when the host memory cannot hold them, or naming the file and tensor of a bad
// checkpoint.
ModelWeights host_model_weights(const ModelSpec& model, const ModelConfig& config,
                                LayerLinearWeights linears = LayerLinearWeights::load);

// The layer weights of the scenario's pre-quantised checkpoint packed for `requested`'s quantised
// precision (load_prequantized_layers); empty for synthetic or plain weights and for fp16 (which
// dequantises). Throws InputError when the checkpoint does not fit the variant, or with quant.scales
// (the weights are quantised already: nothing to smooth).
std::vector<QuantizedLayer> prequantized_layers(const Scenario& scenario, const ModelConfig& config,
                                                const Variant& requested);

// The scenario's quant.scales file, read and checked against `program` (InputError prefixed
// "quant.scales: ").
QuantScales read_scenario_quant_scales(const Scenario& scenario, const StepProgram& program);

// SmoothQuant from the scenario's quant.scales, for a precision that quantises GEMM inputs (w8a8,
// fp8): true when it applies (the file is given and the precision quantises activations).
bool uses_quant_scales(const Scenario& scenario, const Variant& requested);
// What the quant.scales file gives a variant: the smoothing factors (none when uses_quant_scales
// is false) and, for engine.activation_scales "static", the per-tensor activation scales (else none).
struct ScenarioQuantScales {
  SmoothingFactors smoothing;
  StaticActivationScales static_scales;
};
ScenarioQuantScales scenario_quant_scales(const Scenario& scenario, const ModelConfig& config, const Variant& requested);
// The host backends' form: smooths `weights` with the file's factors (the fp model stays
// equivalent; quantisation comes after) and returns the static scales. The CUDA backend smooths on
// the GPU (DeviceWeights) with the same factors.
StaticActivationScales apply_quant_scales(const Scenario& scenario, const ModelConfig& config,
                                          const Variant& requested, ModelWeights& weights);

// The GPU spec a backend runs on: sim -> engine.gpu (required), cuda -> the device's spec if one
// matches, cpu -> none.
std::optional<GpuSpec> backend_gpu_spec(BackendKind kind, const EngineSpec& engine, const nlohmann::json& device_info);

}  // namespace rooflm
