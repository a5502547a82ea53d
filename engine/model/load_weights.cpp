// Loads Hugging Face Llama/Mistral/Qwen2 safetensors weights into ModelWeights, checking every
// tensor's name, shape and dtype against the ModelConfig, converting to fp16-rounded fp32 and packing
// q/k/v_proj (and their biases) and gate/up_proj as the GPU stores them (weights.h). The projections
// of a pre-quantised checkpoint (prequantized_weights.h) are dequantised, or skipped for a caller
// that holds them quantised.
#include <cmath>
#include <optional>
#include <sstream>

#include "common/error.h"
#include "common/half.h"
#include "engine/model/prequantized_weights.h"
#include "engine/model/safetensors.h"
#include "engine/model/weights.h"

namespace rooflm {
namespace {

// One expected tensor dimension and the config field(s) it comes from, e.g. {4096, "hidden"}.
struct ExpectedDim {
  int64_t size;
  std::string field;
};

std::vector<int64_t> expected_shape(const std::vector<ExpectedDim>& dims) {
  std::vector<int64_t> shape;
  for (const ExpectedDim& dim : dims) shape.push_back(dim.size);
  return shape;
}

// "hidden=4096, ffn=11008": where an expected shape comes from.
std::string origin_text(const std::vector<ExpectedDim>& dims) {
  std::string origin;
  for (const ExpectedDim& dim : dims) origin += (origin.empty() ? "" : ", ") + dim.field + "=" + std::to_string(dim.size);
  return origin;
}

// Rounds `count` values to fp16 in place; InputError naming `where` and the element if one is not finite.
void round_to_fp16_checked(const std::string& where, float* values, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const float value = round_to_fp16(values[i]);
    if (!std::isfinite(value)) {
      std::ostringstream message;
      message << where << " element " << i << " = " << values[i] << " is not a finite fp16 number";
      throw InputError(message.str());
    }
    values[i] = value;
  }
}

// Checks tensor `name` against `expected_dims` and decodes it into `out` (numel floats), rounded to
// fp16: a whole tensor, or one part of a packed one.
void load_into(const SafetensorsCheckpoint& checkpoint, const std::string& name,
               const std::vector<ExpectedDim>& expected_dims, float* out) {
  const std::vector<int64_t> shape = expected_shape(expected_dims);
  if (!checkpoint.has(name)) {
    throw InputError(checkpoint.source().string() + ": tensor " + name + " is missing (expected shape " +
                     safetensors_shape_text(shape) + " for " + origin_text(expected_dims) + ")");
  }
  const SafetensorsFile& file = checkpoint.file_of(name);
  const SafetensorsTensorInfo& info = file.info(name);
  const std::string where = file.path().string() + ": tensor " + name;
  if (info.shape != shape) {
    throw InputError(where + " has shape " + safetensors_shape_text(info.shape) + ", expected " +
                     safetensors_shape_text(shape) + " for " + origin_text(expected_dims));
  }
  if (!safetensors_decode_floats(info, out)) {
    throw InputError(where + " has dtype " + std::string(safetensors_dtype_name(info.dtype)) +
                     "; expected F16, BF16 or F32 (only the layers' q/k/v/o/gate/up/down_proj weights may be "
                     "pre-quantised, with their weight_scale)");
  }
  round_to_fp16_checked(where, out, info.numel());
}

HostTensor empty_tensor(std::vector<int64_t> shape) {
  HostTensor tensor;
  tensor.shape = std::move(shape);
  tensor.data.resize(static_cast<size_t>(tensor.numel()));
  return tensor;
}

HostTensor load_tensor(const SafetensorsCheckpoint& checkpoint, const std::string& name,
                       const std::vector<ExpectedDim>& expected_dims) {
  HostTensor tensor = empty_tensor(expected_shape(expected_dims));
  load_into(checkpoint, name, expected_dims, tensor.data.data());
  return tensor;
}

// One part of a packed tensor: its name, expected dims, and first element in the packed tensor.
struct Part {
  std::string name;
  std::vector<ExpectedDim> dims;
  int64_t begin;
};

HostTensor load_packed(const SafetensorsCheckpoint& checkpoint, std::vector<int64_t> shape,
                       const std::vector<Part>& parts) {
  HostTensor tensor = empty_tensor(std::move(shape));
  for (const Part& part : parts) load_into(checkpoint, part.name, part.dims, tensor.data.data() + part.begin);
  return tensor;
}

// Pre-quantised projections (module names under model.layers.<layer>.) dequantised into one packed
// tensor: code * scale in fp32, rounded to fp16 like every weight.
HostTensor dequantized(const SafetensorsCheckpoint& checkpoint, int64_t layer,
                       const std::vector<std::pair<const char*, const ref::QuantizedWeight*>>& parts) {
  int64_t rows = 0;
  for (const auto& part : parts) rows += part.second->rows;
  HostTensor tensor = empty_tensor({rows, parts.front().second->cols});
  float* out = tensor.data.data();
  for (const auto& [module, weight] : parts) {
    const std::string name = "model.layers." + std::to_string(layer) + "." + module + ".weight";
    ref::dequantize_weight(ref::view_all(*weight), out);
    round_to_fp16_checked(checkpoint.file_of(name).path().string() + ": tensor " + name + " dequantised", out,
                          weight->rows * weight->cols);
    out += weight->rows * weight->cols;
  }
  return tensor;
}

// A bias the model does not have must not be in the file: dropping it would change the outputs.
void refuse_unexpected_biases(const SafetensorsCheckpoint& checkpoint, const ModelConfig& config,
                              const std::string& attn, const std::string& mlp) {
  std::vector<std::string> unexpected = {attn + "o_proj.bias", mlp + "gate_proj.bias", mlp + "up_proj.bias",
                                         mlp + "down_proj.bias"};
  if (!config.qkv_bias)
    unexpected.insert(unexpected.end(), {attn + "q_proj.bias", attn + "k_proj.bias", attn + "v_proj.bias"});
  for (const std::string& name : unexpected) {
    if (checkpoint.has(name)) {
      throw InputError(checkpoint.file_of(name).path().string() + ": tensor " + name + " is present but model '" +
                       config.name + "' (family " + std::string(family_name(config.family)) +
                       (config.qkv_bias ? ", Q/K/V bias only" : ", no bias") + ") has no such bias");
    }
  }
}

}  // namespace

ModelWeights load_safetensors_weights(const std::filesystem::path& dir, const ModelConfig& config,
                                      LayerLinearWeights linears) {
  config.validate();
  const SafetensorsCheckpoint checkpoint(dir);
  const ExpectedDim hidden{config.hidden, "hidden"};
  const ExpectedDim q_dim{config.q_dim(), "n_heads*head_dim"};
  const ExpectedDim kv_dim{config.kv_dim(), "n_kv_heads*head_dim"};
  const ExpectedDim ffn{config.ffn, "ffn"};
  const ExpectedDim vocab{config.vocab, "vocab"};

  // Pre-quantised projections are read (and checked) whole before any is dequantised.
  const bool load_linears = linears == LayerLinearWeights::load;
  const std::optional<std::vector<PrequantizedLayer>> prequantized =
      load_linears ? read_prequantized_layers(checkpoint, config, dir / "config.json") : std::nullopt;

  ModelWeights weights;
  weights.embed = load_tensor(checkpoint, "model.embed_tokens.weight", {vocab, hidden});
  weights.layers.reserve(static_cast<size_t>(config.n_layers));
  const int64_t H = config.hidden, QD = config.q_dim(), KD = config.kv_dim(), F = config.ffn;
  for (int64_t layer = 0; layer < config.n_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const std::string attn = prefix + "self_attn.", mlp = prefix + "mlp.";
    refuse_unexpected_biases(checkpoint, config, attn, mlp);
    LayerWeights& w = weights.layers.emplace_back();
    w.attn_norm = load_tensor(checkpoint, prefix + "input_layernorm.weight", {hidden});
    const PrequantizedLayer* p = prequantized ? &(*prequantized)[size_t(layer)] : nullptr;
    if (p)
      w.wqkv = dequantized(checkpoint, layer,
                           {{"self_attn.q_proj", &p->q_proj},
                            {"self_attn.k_proj", &p->k_proj},
                            {"self_attn.v_proj", &p->v_proj}});
    else if (load_linears)
      w.wqkv = load_packed(checkpoint, {config.qkv_dim(), H},
                           {{attn + "q_proj.weight", {q_dim, hidden}, 0},
                            {attn + "k_proj.weight", {kv_dim, hidden}, QD * H},
                            {attn + "v_proj.weight", {kv_dim, hidden}, (QD + KD) * H}});
    if (config.qkv_bias) {
      w.bqkv = load_packed(checkpoint, {config.qkv_dim()},
                           {{attn + "q_proj.bias", {q_dim}, 0},
                            {attn + "k_proj.bias", {kv_dim}, QD},
                            {attn + "v_proj.bias", {kv_dim}, QD + KD}});
    }
    if (p)
      w.wo = dequantized(checkpoint, layer, {{"self_attn.o_proj", &p->o_proj}});
    else if (load_linears)
      w.wo = load_tensor(checkpoint, attn + "o_proj.weight", {hidden, q_dim});
    w.mlp_norm = load_tensor(checkpoint, prefix + "post_attention_layernorm.weight", {hidden});
    if (p) {
      w.w_gate_up = dequantized(checkpoint, layer, {{"mlp.gate_proj", &p->gate_proj}, {"mlp.up_proj", &p->up_proj}});
      w.w_down = dequantized(checkpoint, layer, {{"mlp.down_proj", &p->down_proj}});
    } else if (load_linears) {
      w.w_gate_up = load_packed(checkpoint, {2 * F, H},
                                {{mlp + "gate_proj.weight", {ffn, hidden}, 0},
                                 {mlp + "up_proj.weight", {ffn, hidden}, F * H}});
      w.w_down = load_tensor(checkpoint, mlp + "down_proj.weight", {hidden, ffn});
    }
  }
  weights.final_norm = load_tensor(checkpoint, "model.norm.weight", {hidden});
  // Tied: the embedding is the LM head; an lm_head.weight in the file (some exports keep the copy) is ignored.
  if (!config.tied_embeddings) weights.lm_head = load_tensor(checkpoint, "lm_head.weight", {vocab, hidden});
  return weights;
}

}  // namespace rooflm
