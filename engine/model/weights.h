// Host-side model weights in fp32 holding fp16-rounded values (the CPU reference computes in fp32
// on exactly the numbers the GPU stores in fp16). Layout follows Hugging Face: every projection is
// row-major [out_features, in_features], y = W x.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/model/model_config.h"

namespace rooflm {

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // row-major, fp16-rounded values

  int64_t numel() const;  // product of shape; 0 for an empty shape (an absent tensor)
  const float* ptr() const { return data.data(); }
};

struct LayerWeights {
  HostTensor attn_norm;  // [hidden]                 input_layernorm
  HostTensor wq;         // [n_heads*head_dim, hidden]
  HostTensor wk;         // [n_kv_heads*head_dim, hidden]
  HostTensor wv;         // [n_kv_heads*head_dim, hidden]
  HostTensor wo;         // [hidden, n_heads*head_dim]
  HostTensor mlp_norm;   // [hidden]                 post_attention_layernorm
  HostTensor w_gate;     // [ffn, hidden]
  HostTensor w_up;       // [ffn, hidden]
  HostTensor w_down;     // [hidden, ffn]
};

struct ModelWeights {
  HostTensor embed;       // [vocab, hidden]
  std::vector<LayerWeights> layers;
  HostTensor final_norm;  // [hidden]
  HostTensor lm_head;     // [vocab, hidden]; empty when tied (use embed)

  const HostTensor& lm_head_or_embed() const { return lm_head.data.empty() ? embed : lm_head; }
};

// Deterministic synthetic init from a seed: never zeros; projections ~ U(-a, a) with a = 1/sqrt(in)
// so activations stay O(1) through many layers; embedding ~ U(-1, 1); norm weights ~ 1 + U(-0.1, 0.1).
// Same seed and config -> bit-identical weights on every machine; the per-element formula and the
// tensor numbering are in synthetic_init.h so a GPU can generate the same numbers in place.
ModelWeights synthetic_weights(const ModelConfig& config, uint64_t seed);

// Loads Hugging Face safetensors weights (model.safetensors or a sharded
// model.safetensors.index.json) from `dir` for `config`, converting fp16/bf16/fp32 to fp16-rounded
// fp32. Throws InputError naming the file and tensor on any problem (truncated file, offsets out of
// range, wrong shape or dtype, missing tensor).
ModelWeights load_safetensors_weights(const std::filesystem::path& dir, const ModelConfig& config);

}  // namespace rooflm
