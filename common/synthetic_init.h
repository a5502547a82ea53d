// Counter-based synthetic weight values: any element of any tensor can be regenerated on its own,
// on the host (synthetic_weights) or on the device (a CUDA kernel filling the same numbers in
// place), from (seed, tensor_id, index). Device-safe: no std:: calls, no globals.
//
// tensor_id numbering (L = n_layers):
//   0                       embed        [vocab, hidden]              scale 1
//   1 + 9*layer + k         layer tensor k of SyntheticLayerTensor   (see below)
//   1 + 9*L                 final_norm   [hidden]
//   2 + 9*L                 lm_head      [vocab, hidden]              scale 1/sqrt(hidden); absent when tied
//   3 + 9*L + 3*layer + k   Q/K/V bias k of SyntheticBiasTensor     scale kSyntheticBiasSpread; only with
//                           (bq [q_dim], bk, bv [kv_dim])             qkv_bias (added after every older id,
//                                                                     so older tensors keep their values)
// The packed host/device tensors (wqkv = [wq; wk; wv], w_gate_up = [w_gate; w_up], bqkv = [bq; bk; bv])
// fill each part with its own id and its element index counted from 0 within the part.
// Projections use scale = synthetic_projection_scale(in_features) (computed on the host and passed
// to a kernel); norm weights are 1 + synthetic_value(seed, id, index, kSyntheticNormSpread).
// Biases are synthetic_value(seed, id, index, kSyntheticBiasSpread). `index` is the row-major
// element index. Values are rounded to fp16 after this function
// (round_to_fp16 on the host, __float2half_rn on the device: both round to nearest even).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define ROOFLM_SYNTHETIC_HOST_DEVICE __host__ __device__
#else
#define ROOFLM_SYNTHETIC_HOST_DEVICE
#endif

namespace rooflm {

// Order of a layer's tensors in the tensor_id numbering.
enum class SyntheticLayerTensor : uint64_t {
  attn_norm = 0,  // [hidden]
  wq = 1,         // [n_heads*head_dim, hidden]
  wk = 2,         // [n_kv_heads*head_dim, hidden]
  wv = 3,         // [n_kv_heads*head_dim, hidden]
  wo = 4,         // [hidden, n_heads*head_dim]
  mlp_norm = 5,   // [hidden]
  w_gate = 6,     // [ffn, hidden]
  w_up = 7,       // [ffn, hidden]
  w_down = 8,     // [hidden, ffn]
};
inline constexpr uint64_t kSyntheticTensorsPerLayer = 9;
inline constexpr float kSyntheticNormSpread = 0.1f;

// Order of a layer's Q/K/V biases in the tensor_id numbering (Qwen2).
enum class SyntheticBiasTensor : uint64_t {
  bq = 0,  // [n_heads*head_dim]
  bk = 1,  // [n_kv_heads*head_dim]
  bv = 2,  // [n_kv_heads*head_dim]
};
inline constexpr uint64_t kSyntheticBiasesPerLayer = 3;
inline constexpr float kSyntheticBiasSpread = 0.1f;

ROOFLM_SYNTHETIC_HOST_DEVICE constexpr uint64_t synthetic_embed_id() { return 0; }
ROOFLM_SYNTHETIC_HOST_DEVICE constexpr uint64_t synthetic_layer_tensor_id(uint64_t layer, SyntheticLayerTensor tensor) {
  return 1 + kSyntheticTensorsPerLayer * layer + static_cast<uint64_t>(tensor);
}
ROOFLM_SYNTHETIC_HOST_DEVICE constexpr uint64_t synthetic_final_norm_id(uint64_t n_layers) {
  return 1 + kSyntheticTensorsPerLayer * n_layers;
}
ROOFLM_SYNTHETIC_HOST_DEVICE constexpr uint64_t synthetic_lm_head_id(uint64_t n_layers) {
  return 2 + kSyntheticTensorsPerLayer * n_layers;
}
ROOFLM_SYNTHETIC_HOST_DEVICE constexpr uint64_t synthetic_bias_id(uint64_t n_layers, uint64_t layer,
                                                                  SyntheticBiasTensor bias) {
  return 3 + kSyntheticTensorsPerLayer * n_layers + kSyntheticBiasesPerLayer * layer + static_cast<uint64_t>(bias);
}

// splitmix64 step: adds the golden-ratio increment, then the variant-13 finaliser.
ROOFLM_SYNTHETIC_HOST_DEVICE constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A value in (-scale, scale), never zero: one of 4096 odd multiples of scale/4096 (as fine as fp16
// resolves near `scale`), so |value| >= scale/4096 stays non-zero in fp16 for scale > 2^-13.
ROOFLM_SYNTHETIC_HOST_DEVICE constexpr float synthetic_value(uint64_t seed, uint64_t tensor_id, uint64_t index,
                                                             float scale) {
  const uint64_t bits = splitmix64(splitmix64(splitmix64(seed) ^ tensor_id) ^ index);
  const int32_t level = static_cast<int32_t>(bits >> 52);  // 12 bits: 0..4095
  const float unit = static_cast<float>(2 * level + 1 - 4096) * (1.0f / 4096.0f);  // odd/4096 in (-1, 1)
  return unit * scale;
}

// Host only (pass the result to a kernel): 1/sqrt(in_features) computed in double, then rounded
// to float once, so host and device use the identical scale.
inline float synthetic_projection_scale(int64_t in_features) {
  return static_cast<float>(1.0 / std::sqrt(static_cast<double>(in_features)));
}

}  // namespace rooflm
