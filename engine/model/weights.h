// Host-side model weights in fp32 holding fp16-rounded values (the CPU reference computes in fp32
// on exactly the numbers the GPU stores in fp16). Layout follows Hugging Face: every projection is
// row-major [out_features, in_features], y = W x.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/synthetic_init.h"
#include "engine/model/model_config.h"
#include "engine/model/synthetic_outliers.h"

namespace rooflm {

struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // row-major, fp16-rounded values

  int64_t numel() const;  // product of shape; 0 for an empty shape (an absent tensor)
  const float* ptr() const { return data.data(); }
};

// One layout everywhere (the GPU stores the same packed tensors, engine/backend/cuda/device_weights.h):
// Q/K/V rows back to back, gate/up rows back to back. With q_dim = n_heads*head_dim and kv_dim =
// n_kv_heads*head_dim, wqkv rows [0, q_dim) are q_proj, [q_dim, q_dim + kv_dim) k_proj, then v_proj;
// w_gate_up rows [0, ffn) are gate_proj, then up_proj.
struct LayerWeights {
  HostTensor attn_norm;  // [hidden]                      input_layernorm
  HostTensor wqkv;       // [q_dim + 2*kv_dim, hidden]    q_proj; k_proj; v_proj
  HostTensor bqkv;       // [q_dim + 2*kv_dim]            their biases; empty unless qkv_bias (Qwen2)
  HostTensor wo;         // [hidden, q_dim]               o_proj
  HostTensor mlp_norm;   // [hidden]                      post_attention_layernorm
  HostTensor w_gate_up;  // [2*ffn, hidden]               gate_proj; up_proj
  HostTensor w_down;     // [hidden, ffn]                 down_proj
};

struct ModelWeights {
  HostTensor embed;       // [vocab, hidden]
  std::vector<LayerWeights> layers;
  HostTensor final_norm;  // [hidden]
  HostTensor lm_head;     // [vocab, hidden]; empty when tied (use embed)

  const HostTensor& lm_head_or_embed() const { return lm_head.data.empty() ? embed : lm_head; }
};

// Deterministic synthetic init from a seed: never zeros; projections ~ U(-a, a) with a = 1/sqrt(in)
// so activations stay O(1) through many layers; embedding ~ U(-1, 1); norm weights ~ 1 + U(-0.1, 0.1);
// Q/K/V biases ~ U(-0.1, 0.1). Each part of a packed tensor (wq, wk, wv; w_gate, w_up) keeps its own
// tensor id and element index from 0, so the values do not depend on the packing.
// Same seed and config -> bit-identical weights on every machine; the per-element formula and the
// tensor numbering are in synthetic_init.h so a GPU can generate the same numbers in place.
ModelWeights synthetic_weights(const ModelConfig& config, uint64_t seed);

// The planted channels, ascending: `outliers.channels` distinct channels of [0, config.hidden)
// drawn from `seed`. Throws InputError naming model.synthetic_outliers.channels when more than
// half of the model's hidden channels are asked for (most channels must stay ordinary).
std::vector<int64_t> synthetic_outlier_channels(const ModelConfig& config, uint64_t seed,
                                                const SyntheticOutliers& outliers);

// The synthetic attn_norm or mlp_norm weight [hidden] of `layer` with the outliers planted: the one
// place both the host (synthetic_weights) and the GPU init (device_weights.cpp uploads it) take it from.
HostTensor synthetic_layer_norm(const ModelConfig& config, uint64_t seed, int64_t layer, SyntheticLayerTensor norm,
                                const SyntheticOutliers& outliers);

// synthetic_weights with the outliers planted.
ModelWeights synthetic_weights(const ModelConfig& config, uint64_t seed, const SyntheticOutliers& outliers);

// What load_safetensors_weights does with the layers' linear weights (wqkv, wo, w_gate_up, w_down).
enum class LayerLinearWeights {
  load,  // fp16-rounded fp32; a pre-quantised checkpoint's dequantised (prequantized_weights.h)
  skip,  // left empty: the caller holds them quantised (load_prequantized_layers)
};

// Loads Hugging Face safetensors weights (model.safetensors or a sharded
// model.safetensors.index.json) from `dir` for `config`, converting fp16/bf16/fp32 to fp16-rounded
// fp32, and packing q/k/v_proj and gate/up_proj into wqkv and w_gate_up. Reads the q/k/v_proj biases
// when config.qkv_bias; for tied embeddings lm_head.weight is not needed (and ignored when present).
// Pre-quantised layer projections (int8 / FP8 codes with weight_scale, checked against config.json
// in `dir`) are dequantised: code * scale, rounded to fp16.
// Throws InputError naming the file and tensor on any problem (truncated file, offsets out of range,
// wrong shape or dtype, missing tensor, a bad pre-quantised projection).
ModelWeights load_safetensors_weights(const std::filesystem::path& dir, const ModelConfig& config,
                                      LayerLinearWeights linears = LayerLinearWeights::load);

}  // namespace rooflm
