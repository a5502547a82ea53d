// Pre-quantised checkpoints: reading every layer projection, checking the whole, and packing the
// codes and scales for a variant's dtypes (prequantized_weights.h).
#include "engine/model/prequantized_weights.h"

#include <cmath>
#include <sstream>
#include <string>

#include "common/error.h"
#include "common/half.h"
#include "engine/model/checkpoint_quant_config.h"
#include "engine/model/quantized_projection.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using Grain = ref::WeightScaleGrain;

// One layer projection: its HF module name, where it lands in PrequantizedLayer, its shape.
struct ProjectionSpec {
  const char* module;  // under model.layers.<i>.
  ref::QuantizedWeight PrequantizedLayer::*member;
  int64_t rows, cols;
  std::string origin;  // the config fields of the shape
};

std::vector<ProjectionSpec> projection_specs(const ModelConfig& c) {
  const std::string h = "hidden=" + std::to_string(c.hidden), q = "n_heads*head_dim=" + std::to_string(c.q_dim()),
                    kv = "n_kv_heads*head_dim=" + std::to_string(c.kv_dim()), f = "ffn=" + std::to_string(c.ffn);
  using L = PrequantizedLayer;
  return {{"self_attn.q_proj", &L::q_proj, c.q_dim(), c.hidden, q + ", " + h},
          {"self_attn.k_proj", &L::k_proj, c.kv_dim(), c.hidden, kv + ", " + h},
          {"self_attn.v_proj", &L::v_proj, c.kv_dim(), c.hidden, kv + ", " + h},
          {"self_attn.o_proj", &L::o_proj, c.hidden, c.q_dim(), h + ", " + q},
          {"mlp.gate_proj", &L::gate_proj, c.ffn, c.hidden, f + ", " + h},
          {"mlp.up_proj", &L::up_proj, c.ffn, c.hidden, f + ", " + h},
          {"mlp.down_proj", &L::down_proj, c.hidden, c.ffn, h + ", " + f}};
}

std::string prefix_of(int64_t layer, const char* module) {
  return "model.layers." + std::to_string(layer) + "." + module;
}

std::string where(const SafetensorsCheckpoint& checkpoint, const std::string& name) {
  return checkpoint.file_of(name).path().string() + ": tensor " + name;
}

std::string dtype_text(const SafetensorsCheckpoint& checkpoint, const std::string& name) {
  return std::string(safetensors_dtype_name(checkpoint.info(name).dtype));
}

std::string grain_text(Grain grain, int64_t group_size) {
  switch (grain) {
    case Grain::tensor: return "per-tensor";
    case Grain::channel: return "per-channel";
    case Grain::group: return "per-group (group size " + std::to_string(group_size) + ")";
  }
  return "?";
}

// The engine.weight_scales settings that hold `w`'s scales as they are.
std::string settings_of(const ref::QuantizedWeight& w) {
  switch (w.grain) {
    case Grain::tensor: return "\"tensor\" (or a finer \"channel\" or \"group\")";
    case Grain::channel: return "\"channel\" (or a finer \"group\")";
    case Grain::group:
      return "\"group\" with engine.weight_group_size " + std::to_string(w.group_size) +
             " or a divisor of it (group scales run at engine.precision \"int8\" only)";
  }
  return "?";
}

std::string_view code_dtype_name(DType dtype) { return dtype == DType::i8 ? "I8" : "F8_E4M3"; }

// Every projection matches config.json's weight scheme.
void cross_check(const SafetensorsCheckpoint& checkpoint, const std::vector<PrequantizedLayer>& layers,
                 const std::vector<ProjectionSpec>& specs, const CheckpointWeightScheme& scheme,
                 const fs::path& config_json) {
  const std::string said = config_json.string() + ": quantization_config gives " +
                           (scheme.dtype == DType::i8 ? "\"type\": \"int\"" : "\"type\": \"float\"") + " weights with " +
                           grain_text(scheme.grain, scheme.group_size) + " scales, but ";
  for (size_t l = 0; l < layers.size(); ++l)
    for (const ProjectionSpec& spec : specs) {
      const ref::QuantizedWeight& w = layers[l].*spec.member;
      const std::string prefix = prefix_of(int64_t(l), spec.module);
      if (w.dtype != scheme.dtype)
        throw InputError(said + "tensor " + prefix + ".weight of " +
                         checkpoint.file_of(prefix + ".weight").path().string() + " is " +
                         dtype_text(checkpoint, prefix + ".weight"));
      if (w.grain != scheme.grain || w.group_size != scheme.group_size)
        throw InputError(said + "tensor " + prefix + ".weight_scale of " +
                         checkpoint.file_of(prefix + ".weight_scale").path().string() + " has shape " +
                         safetensors_shape_text(checkpoint.info(prefix + ".weight_scale").shape) + " (" +
                         grain_text(w.grain, w.group_size) + ")");
    }
}

// Whether scales of `w`'s grain can be held at `target` exactly (each target block inside one of w's).
bool fits(const ref::QuantizedWeight& w, const ScaleLayout& target) {
  switch (target.grain) {
    case ScaleGrain::tensor: return w.grain == Grain::tensor;
    case ScaleGrain::channel: return w.grain != Grain::group;
    case ScaleGrain::group: return w.grain != Grain::group || w.group_size % target.group_size == 0;
    case ScaleGrain::none:
    case ScaleGrain::token: break;
  }
  ROOFLM_CHECK(false, "quantised weights have tensor, channel or group scales");
  return false;
}

// `w`'s scales as the variant holds them: fp16 for int8 (InputError naming the element when one
// does not fit), fp32 as stored otherwise.
std::vector<float> held_scales(const ref::QuantizedWeight& w, const ScaleLayout& target, const std::string& where_scale) {
  std::vector<float> held = w.scales;
  if (target.dtype != DType::f16) return held;
  for (size_t i = 0; i < held.size(); ++i) {
    const float h = round_to_fp16(held[i]);
    if (std::isfinite(h) && (h > 0 || held[i] == 0)) {
      held[i] = h;
      continue;
    }
    std::ostringstream message;
    message << where_scale << " element " << i << " = " << held[i]
            << " does not fit the fp16 scale an int8 weight holds (6e-8 to 65504)";
    throw InputError(message.str());
  }
  return held;
}

struct NamedPart {
  std::string prefix;
  ref::QuantizedWeight* weight;  // its codes move into the packed weight
};

// `parts` (rows back to back) as one weight in `dtypes`' scale layout; `packed` names it in errors.
ref::QuantizedWeight pack(const SafetensorsCheckpoint& checkpoint, const std::vector<NamedPart>& parts,
                          const PrecisionDtypes& dtypes, const std::string& packed) {
  const ScaleLayout& target = dtypes.weight_scales;
  ref::QuantizedWeight out;
  out.dtype = dtypes.weight;
  out.grain = reference_weight_grain(target.grain);
  out.cols = parts.front().weight->cols;
  if (out.grain == Grain::group) {
    out.group_size = target.group_size;
    if (out.cols % out.group_size != 0)
      throw InputError("engine.weight_group_size = " + std::to_string(out.group_size) +
                       " must divide the input features of " + packed + ", " + std::to_string(out.cols));
  }
  for (const NamedPart& part : parts) {
    const ref::QuantizedWeight& w = *part.weight;
    const std::string scale_name = part.prefix + ".weight_scale";
    if (!fits(w, target))
      throw InputError(where(checkpoint, scale_name) + " holds " + grain_text(w.grain, w.group_size) +
                       " scales, which engine.weight_scales \"" + std::string(scale_grain_name(target.grain)) + "\"" +
                       (out.grain == Grain::group ? " with group size " + std::to_string(out.group_size) : "") +
                       " cannot hold without requantising: set engine.weight_scales " + settings_of(w));
    const std::vector<float> held = held_scales(w, target, where(checkpoint, scale_name));
    ref::QuantWeightView view = ref::view_all(w);
    view.scales = held.data();
    if (out.grain == Grain::tensor) {
      const NamedPart& first = parts.front();
      if (w.scales[0] != first.weight->scales[0]) {
        std::ostringstream message;
        message << where(checkpoint, scale_name) << " = " << w.scales[0] << " differs from " << first.prefix
                << ".weight_scale = " << first.weight->scales[0] << ", but the packed " << packed
                << " holds one per-tensor scale: run with engine.weight_scales \"channel\" (each row then takes its "
                   "tensor's scale, exactly)";
        throw InputError(message.str());
      }
      out.scales = {held[0]};
    } else {
      const int64_t blocks = out.grain == Grain::group ? out.cols / out.group_size : 1;
      const int64_t block_cols = out.grain == Grain::group ? out.group_size : out.cols;
      for (int64_t r = 0; r < w.rows; ++r)
        for (int64_t b = 0; b < blocks; ++b) out.scales.push_back(view.scale(r, b * block_cols));
    }
    out.rows += w.rows;
    if (out.codes.empty()) {
      out.codes = std::move(part.weight->codes);
    } else {
      out.codes.insert(out.codes.end(), w.codes.begin(), w.codes.end());
      std::vector<uint8_t>().swap(part.weight->codes);
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<PrequantizedLayer>> read_prequantized_layers(const SafetensorsCheckpoint& checkpoint,
                                                                       const ModelConfig& config,
                                                                       const fs::path& config_json) {
  const std::optional<CheckpointWeightScheme> scheme = read_checkpoint_quant_config(config_json);
  const std::vector<ProjectionSpec> specs = projection_specs(config);
  std::string quantised, plain;  // the first of each, by prefix
  for (int64_t l = 0; l < config.n_layers; ++l)
    for (const ProjectionSpec& spec : specs) {
      const std::string prefix = prefix_of(l, spec.module);
      if (is_quantized_projection(checkpoint, prefix)) {
        if (quantised.empty()) quantised = prefix;
      } else if (plain.empty() && checkpoint.has(prefix + ".weight")) {
        plain = prefix;
      }
    }
  if (quantised.empty()) {
    if (scheme && !plain.empty())
      throw InputError(config_json.string() + ": quantization_config describes pre-quantised " +
                       std::string(code_dtype_name(scheme->dtype)) + " weights, but tensor " + plain + ".weight of " +
                       checkpoint.file_of(plain + ".weight").path().string() + " is " +
                       dtype_text(checkpoint, plain + ".weight") + " with no weight_scale");
    return std::nullopt;
  }
  if (!plain.empty())
    throw InputError(where(checkpoint, plain + ".weight") + " is " + dtype_text(checkpoint, plain + ".weight") +
                     " with no weight_scale, but " + quantised +
                     " is pre-quantised: every layer projection must be (one precision runs them all; a checkpoint "
                     "that keeps some in fp16, e.g. through llm-compressor's \"ignore\", is not accepted)");

  std::vector<PrequantizedLayer> layers(size_t(config.n_layers));
  for (int64_t l = 0; l < config.n_layers; ++l)
    for (const ProjectionSpec& spec : specs)
      layers[size_t(l)].*spec.member =
          read_quantized_projection(checkpoint, prefix_of(l, spec.module), spec.rows, spec.cols, spec.origin);
  const DType dtype = layers[0].q_proj.dtype;
  for (int64_t l = 0; l < config.n_layers; ++l)
    for (const ProjectionSpec& spec : specs) {
      const std::string name = prefix_of(l, spec.module) + ".weight";
      if ((layers[size_t(l)].*spec.member).dtype != dtype)
        throw InputError(where(checkpoint, name) + " is " + dtype_text(checkpoint, name) + ", but " +
                         prefix_of(0, "self_attn.q_proj") + ".weight is " + std::string(code_dtype_name(dtype)) +
                         ": every layer projection must hold one code dtype");
    }
  if (scheme) cross_check(checkpoint, layers, specs, *scheme, config_json);
  return layers;
}

std::optional<std::vector<QuantizedLayer>> load_prequantized_layers(const fs::path& dir, const ModelConfig& config,
                                                                     const PrecisionDtypes& dtypes) {
  ROOFLM_CHECK(dtypes.weight == DType::i8 || dtypes.weight == DType::f8e4m3, "a quantised weight dtype");
  config.validate();
  const SafetensorsCheckpoint checkpoint(dir);
  std::optional<std::vector<PrequantizedLayer>> read = read_prequantized_layers(checkpoint, config, dir / "config.json");
  if (!read) return std::nullopt;

  const std::string first = prefix_of(0, "self_attn.q_proj") + ".weight";
  const DType stored = read->front().q_proj.dtype;
  if (stored != dtypes.weight)
    throw InputError("engine.precision \"" + std::string(name(dtypes.precision)) + "\" needs " +
                     std::string(code_dtype_name(dtypes.weight)) + " weights, but " + where(checkpoint, first) +
                     " is " + std::string(code_dtype_name(stored)) + " (I8 runs at \"int8\" or \"w8a8\", F8_E4M3 at "
                     "\"fp8\"; \"fp16\" dequantises)");

  std::vector<QuantizedLayer> layers;
  for (size_t l = 0; l < read->size(); ++l) {
    PrequantizedLayer& p = (*read)[l];
    const auto prefix = [l](const char* module) { return prefix_of(int64_t(l), module); };
    const std::string of_layer = " of layer " + std::to_string(l);
    layers.push_back(
        {pack(checkpoint,
              {{prefix("self_attn.q_proj"), &p.q_proj}, {prefix("self_attn.k_proj"), &p.k_proj},
               {prefix("self_attn.v_proj"), &p.v_proj}},
              dtypes, "wqkv (q_proj; k_proj; v_proj)" + of_layer),
         pack(checkpoint, {{prefix("self_attn.o_proj"), &p.o_proj}}, dtypes, "wo (o_proj)" + of_layer),
         pack(checkpoint, {{prefix("mlp.gate_proj"), &p.gate_proj}, {prefix("mlp.up_proj"), &p.up_proj}}, dtypes,
              "w_gate_up (gate_proj; up_proj)" + of_layer),
         pack(checkpoint, {{prefix("mlp.down_proj"), &p.down_proj}}, dtypes, "w_down (down_proj)" + of_layer)});
  }
  return layers;
}

}  // namespace rooflm
