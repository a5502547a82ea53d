// ModelWeights written out as a Hugging Face checkpoint for tests: the tensors under their HF names
// in file order, the packed wqkv / bqkv / w_gate_up split back into q/k/v_proj and gate/up_proj, and
// lm_head.weight only when the weights have one (tied models have none). Usage:
//   write_safetensors(dir / "model.safetensors", test::hf_tensors(config, weights, SafetensorsDtype::F16));
#pragma once

#include <string>
#include <vector>

#include "engine/model/safetensors.h"
#include "engine/model/weights.h"

namespace rooflm::test {

struct HfTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Rows [first, first + rows) of a row-major tensor whose rows hold `row_size` elements.
inline HfTensor hf_rows(std::string name, const HostTensor& tensor, int64_t first, int64_t rows, int64_t row_size) {
  const auto begin = tensor.data.begin() + first * row_size;
  std::vector<int64_t> shape = {rows, row_size};
  if (tensor.shape.size() == 1) shape = {rows};
  return {std::move(name), std::move(shape), std::vector<float>(begin, begin + rows * row_size)};
}

inline HfTensor hf_whole(std::string name, const HostTensor& tensor) {
  return {std::move(name), tensor.shape, tensor.data};
}

inline std::vector<HfTensor> hf_named_tensors(const ModelConfig& config, const ModelWeights& weights) {
  const int64_t H = config.hidden, QD = config.q_dim(), KD = config.kv_dim(), F = config.ffn;
  std::vector<HfTensor> named = {hf_whole("model.embed_tokens.weight", weights.embed)};
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    const std::string prefix = "model.layers." + std::to_string(i) + ".", attn = prefix + "self_attn.",
                      mlp = prefix + "mlp.";
    const LayerWeights& w = weights.layers[i];
    named.push_back(hf_whole(prefix + "input_layernorm.weight", w.attn_norm));
    named.push_back(hf_rows(attn + "q_proj.weight", w.wqkv, 0, QD, H));
    named.push_back(hf_rows(attn + "k_proj.weight", w.wqkv, QD, KD, H));
    named.push_back(hf_rows(attn + "v_proj.weight", w.wqkv, QD + KD, KD, H));
    if (!w.bqkv.data.empty()) {
      named.push_back(hf_rows(attn + "q_proj.bias", w.bqkv, 0, QD, 1));
      named.push_back(hf_rows(attn + "k_proj.bias", w.bqkv, QD, KD, 1));
      named.push_back(hf_rows(attn + "v_proj.bias", w.bqkv, QD + KD, KD, 1));
    }
    named.push_back(hf_whole(attn + "o_proj.weight", w.wo));
    named.push_back(hf_whole(prefix + "post_attention_layernorm.weight", w.mlp_norm));
    named.push_back(hf_rows(mlp + "gate_proj.weight", w.w_gate_up, 0, F, H));
    named.push_back(hf_rows(mlp + "up_proj.weight", w.w_gate_up, F, F, H));
    named.push_back(hf_whole(mlp + "down_proj.weight", w.w_down));
  }
  named.push_back(hf_whole("model.norm.weight", weights.final_norm));
  if (!weights.lm_head.data.empty()) named.push_back(hf_whole("lm_head.weight", weights.lm_head));
  return named;
}

inline std::vector<SafetensorsWriteTensor> hf_tensors(const ModelConfig& config, const ModelWeights& weights,
                                                      SafetensorsDtype dtype) {
  std::vector<SafetensorsWriteTensor> tensors;
  for (const HfTensor& t : hf_named_tensors(config, weights))
    tensors.push_back({t.name, dtype, t.shape, safetensors_encode_floats(dtype, t.data)});
  return tensors;
}

}  // namespace rooflm::test
