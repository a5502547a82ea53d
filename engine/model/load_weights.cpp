// Loads Hugging Face Llama/Mistral safetensors weights into ModelWeights, checking every tensor's
// name, shape and dtype against the ModelConfig and converting to fp16-rounded fp32.
#include <cmath>
#include <sstream>

#include "common/error.h"
#include "common/half.h"
#include "engine/model/safetensors.h"
#include "engine/model/weights.h"

namespace rooflm {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// One expected tensor dimension and the config field(s) it comes from, e.g. {4096, "hidden"}.
struct ExpectedDim {
  int64_t size;
  std::string field;
};

HostTensor load_tensor(const SafetensorsCheckpoint& checkpoint, const std::string& name,
                       const std::vector<ExpectedDim>& expected_dims) {
  std::vector<int64_t> expected_shape;
  std::string origin;
  for (const ExpectedDim& dim : expected_dims) {
    expected_shape.push_back(dim.size);
    origin += (origin.empty() ? "" : ", ") + dim.field + "=" + std::to_string(dim.size);
  }
  if (!checkpoint.has(name)) {
    throw InputError(checkpoint.source().string() + ": tensor " + name + " is missing (expected shape " +
                     shape_text(expected_shape) + " for " + origin + ")");
  }
  const SafetensorsFile& file = checkpoint.file_of(name);
  const SafetensorsTensorInfo& info = file.info(name);
  const std::string where = file.path().string() + ": tensor " + name;
  if (info.shape != expected_shape) {
    throw InputError(where + " has shape " + shape_text(info.shape) + ", expected " + shape_text(expected_shape) +
                     " for " + origin);
  }
  HostTensor tensor;
  tensor.shape = expected_shape;
  tensor.data.resize(static_cast<size_t>(info.numel()));
  if (!safetensors_decode_floats(info, tensor.data.data())) {
    throw InputError(where + " has dtype " + std::string(safetensors_dtype_name(info.dtype)) +
                     "; expected F16, BF16 or F32");
  }
  for (size_t i = 0; i < tensor.data.size(); ++i) {
    const float value = round_to_fp16(tensor.data[i]);
    if (!std::isfinite(value)) {
      std::ostringstream message;
      message << where << " element " << i << " = " << tensor.data[i] << " is not a finite fp16 number";
      throw InputError(message.str());
    }
    tensor.data[i] = value;
  }
  return tensor;
}

}  // namespace

ModelWeights load_safetensors_weights(const std::filesystem::path& dir, const ModelConfig& config) {
  config.validate();
  const SafetensorsCheckpoint checkpoint(dir);
  const ExpectedDim hidden{config.hidden, "hidden"};
  const ExpectedDim q_dim{config.q_dim(), "n_heads*head_dim"};
  const ExpectedDim kv_dim{config.kv_dim(), "n_kv_heads*head_dim"};
  const ExpectedDim ffn{config.ffn, "ffn"};
  const ExpectedDim vocab{config.vocab, "vocab"};

  ModelWeights weights;
  weights.embed = load_tensor(checkpoint, "model.embed_tokens.weight", {vocab, hidden});
  weights.layers.reserve(static_cast<size_t>(config.n_layers));
  for (int64_t layer = 0; layer < config.n_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    LayerWeights& w = weights.layers.emplace_back();
    w.attn_norm = load_tensor(checkpoint, prefix + "input_layernorm.weight", {hidden});
    w.wq = load_tensor(checkpoint, prefix + "self_attn.q_proj.weight", {q_dim, hidden});
    w.wk = load_tensor(checkpoint, prefix + "self_attn.k_proj.weight", {kv_dim, hidden});
    w.wv = load_tensor(checkpoint, prefix + "self_attn.v_proj.weight", {kv_dim, hidden});
    w.wo = load_tensor(checkpoint, prefix + "self_attn.o_proj.weight", {hidden, q_dim});
    w.mlp_norm = load_tensor(checkpoint, prefix + "post_attention_layernorm.weight", {hidden});
    w.w_gate = load_tensor(checkpoint, prefix + "mlp.gate_proj.weight", {ffn, hidden});
    w.w_up = load_tensor(checkpoint, prefix + "mlp.up_proj.weight", {ffn, hidden});
    w.w_down = load_tensor(checkpoint, prefix + "mlp.down_proj.weight", {hidden, ffn});
  }
  weights.final_norm = load_tensor(checkpoint, "model.norm.weight", {hidden});
  if (!config.tied_embeddings) weights.lm_head = load_tensor(checkpoint, "lm_head.weight", {vocab, hidden});
  return weights;
}

}  // namespace rooflm
