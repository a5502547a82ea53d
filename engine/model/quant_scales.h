// The SmoothQuant calibration file (`rooflm calibrate-quant <scenario> -o scales.json`, read by
// runs through the scenario's quant.scales). One JSON object:
//   {"schema": "rooflm.quant_scales/1",
//    "model": {"name", "family", "hidden", "n_layers", "n_heads", "n_kv_heads", "head_dim", "ffn", "vocab"},
//    "weights": "synthetic seed 0" | "<safetensors folder>"   (what was calibrated; informational),
//    "kernels": "fused" | "naive"                               (whose op names the file uses),
//    "alpha": 0.5, "calibration": {"sequences", "tokens", "seed"},
//    "ops": [{"layer": 0, "op": "qkv_proj", "input": "attn_in", "in_features": 256,
//             "input_absmax": [in_features],   max |X_j| over the calibration tokens (before smoothing)
//             "smoothing": [in_features],      s_j (engine/model/smoothing.h); X / s is what gets quantised
//             "smoothed_absmax": x,            max_j input_absmax_j / s_j: the per-tensor absmax of X / s
//             "activation_scale": {"int8": x / 127, "fp8": x / 448}}   static per-tensor scales
//            ... one per linear node of the step program, in program order]}
// The reader checks everything before a run uses it; each problem is an InputError (exit 2) naming
// the file and the op: wrong schema, another model (name or any shape field), a linear node without
// an entry, an entry no node has, an array of the wrong length, a value that is negative (absmax,
// scales) or not > 0 (smoothing), ops sharing an input with different smoothing (q/k/v_proj, gate/up).
// JSON itself cannot hold inf or NaN, and numbers beyond a double are refused (common/json_text.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/model/smoothing.h"
#include "engine/model/static_scales.h"
#include "engine/model/step_program.h"

namespace rooflm {

inline constexpr const char* kQuantScalesSchema = "rooflm.quant_scales/1";
inline constexpr int64_t kMaxQuantScalesFileBytes = int64_t(256) << 20;
inline constexpr double kInt8Max = 127;     // int8 activation scale = absmax / 127
inline constexpr double kFp8E4m3Max = 448;  // fp8 E4M3 activation scale = absmax / 448

struct OpQuantScales {
  int32_t layer = 0;
  std::string op;  // the node's name: "qkv_proj", "q_proj", ...
  LinearInput input = LinearInput::attn_in;
  std::vector<float> input_absmax;  // [in_features]
  std::vector<float> smoothing;     // [in_features]
  double smoothed_absmax = 0;
  double int8_scale() const { return smoothed_absmax / kInt8Max; }
  double fp8_scale() const { return smoothed_absmax / kFp8E4m3Max; }
};

struct QuantScales {
  nlohmann::json model;  // the fingerprint (quant_model_fingerprint)
  std::string weights;   // informational
  KernelSet kernels = KernelSet::fused;
  double alpha = 0.5;
  int64_t sequences = 0, tokens = 0;
  uint64_t seed = 0;
  std::vector<OpQuantScales> ops;  // program order

  // The entry of (layer, op), or nullptr.
  const OpQuantScales* find(int32_t layer, const std::string& op) const;
  nlohmann::json to_json() const;  // the file (written atomically by `rooflm calibrate-quant`)
};

// {"name", "family", "hidden", "n_layers", "n_heads", "n_kv_heads", "head_dim", "ffn", "vocab"}
nlohmann::json quant_model_fingerprint(const ModelConfig& config);

// Reads and checks `file` against `program` (its model and its linear nodes). Throws InputError.
QuantScales read_quant_scales(const std::filesystem::path& file, const StepProgram& program);
// The same from text (`origin` names it in messages).
QuantScales parse_quant_scales(const std::string& text, const std::string& origin, const StepProgram& program);

// The per-layer factors apply_smoothing takes (one entry per linear input, from the ops reading it).
SmoothingFactors smoothing_of(const QuantScales& scales, const ModelConfig& config);

// The per-tensor static activation scales of every op for `precision` (w8a8: int8_scale, fp8:
// fp8_scale), what engine.activation_scales "static" quantises the smoothed GEMM inputs with.
StaticActivationScales static_activation_scales(const QuantScales& scales, Precision precision);

}  // namespace rooflm
