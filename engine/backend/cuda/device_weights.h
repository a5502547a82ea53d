// DeviceWeights: the model's fp16 weights in one device allocation, laid out for BOTH kernel sets
// and exactly as the host's LayerWeights (engine/model/weights.h): q/k/v rows are stored back to back
// as wqkv [q_dim + 2*kv_dim, hidden] (naive GEMMs use the three row ranges, the fused set one GEMM),
// their biases as bqkv [q_dim + 2*kv_dim] (Qwen2), likewise w_gate_up = [w_gate; w_up] [2*ffn, hidden].
// Synthetic weights are generated on the GPU (bit-identical to the host's synthetic_weights()), but
// for the layer norms, uploaded from synthetic_layer_norm() (model.synthetic_outliers live there);
// safetensors weights are loaded on the host and their packed tensors uploaded as they are.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>
#include <vector>

#include "engine/model/weights.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct DeviceLayer {
  __half* attn_norm;  // [hidden]
  __half* wqkv;       // [q_dim + 2*kv_dim, hidden]: wq rows, then wk, then wv
  __half* bqkv;       // [q_dim + 2*kv_dim]: bq, bk, bv; nullptr unless config.qkv_bias
  __half* wo;         // [hidden, q_dim]
  __half* mlp_norm;   // [hidden]
  __half* w_gate_up;  // [2*ffn, hidden]: w_gate rows, then w_up
  __half* w_down;     // [hidden, ffn]
};

class DeviceWeights {
 public:
  // Throws InputError with the bytes needed and free when the weights do not fit.
  DeviceWeights(const ModelConfig& config, const ModelSpec& spec);
  ~DeviceWeights();
  DeviceWeights(const DeviceWeights&) = delete;
  DeviceWeights& operator=(const DeviceWeights&) = delete;

  static int64_t bytes_needed(const ModelConfig& config);
  int64_t bytes() const { return bytes_; }

  __half* embed = nullptr;       // [vocab, hidden]
  std::vector<DeviceLayer> layers;
  __half* final_norm = nullptr;  // [hidden]
  __half* lm_head = nullptr;     // [vocab, hidden] (== embed when tied)

 private:
  void* base_ = nullptr;
  int64_t bytes_ = 0;
};

}  // namespace rooflm
