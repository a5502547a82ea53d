// DeviceWeights: the model's weights in one device allocation, laid out for BOTH kernel sets and
// exactly as the host's LayerWeights (engine/model/weights.h): q/k/v rows are stored back to back
// as wqkv [q_dim + 2*kv_dim, hidden] (naive GEMMs use the three row ranges, the fused set one GEMM),
// their biases as bqkv [q_dim + 2*kv_dim] (Qwen2), likewise w_gate_up = [w_gate; w_up] [2*ffn, hidden].
// In a precision that quantises weights (engine/model/precision.h) the four transformer-layer
// projections (wqkv, wo, w_gate_up, w_down) are held only as codes and scales
// (kernels/quant/quant_weight.h), quantised on the GPU at load from their fp16 values, bit for bit
// as the CPU reference quantises; a per-tensor scale is one per packed tensor. The embedding, norms,
// biases and LM head stay fp16.
// Synthetic weights are generated on the GPU (bit-identical to the host's synthetic_weights()), but
// for the layer norms, uploaded from synthetic_layer_norm() (model.synthetic_outliers live there);
// safetensors weights, or host weights given to the constructor, are uploaded as they are.
// SmoothQuant's smoothing factors, when given, are applied on the GPU to each layer tensor once it is
// written and before it is quantised (device_smoothing.h), as the host's apply_smoothing would.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>
#include <vector>

#include "engine/model/precision.h"
#include "engine/model/quantized_layer.h"
#include "engine/model/smoothing.h"
#include "engine/model/weights.h"
#include "engine/scenario/scenario.h"
#include "kernels/quant/quant_weight.h"

namespace rooflm {

struct DeviceLayer {
  __half* attn_norm;  // [hidden]
  __half* wqkv;       // [q_dim + 2*kv_dim, hidden]: wq rows, then wk, then wv; nullptr when quantised
  __half* bqkv;       // [q_dim + 2*kv_dim]: bq, bk, bv; nullptr unless config.qkv_bias
  __half* wo;         // [hidden, q_dim]
  __half* mlp_norm;   // [hidden]
  __half* w_gate_up;  // [2*ffn, hidden]: w_gate rows, then w_up
  __half* w_down;     // [hidden, ffn]
  // The same four projections quantised (codes == nullptr unless the precision quantises weights).
  QuantWeightDevice wqkv_q, wo_q, w_gate_up_q, w_down_q;
};

class DeviceWeights {
 public:
  // Throws InputError with the bytes needed and free when the weights do not fit, and naming the
  // tensor when one cannot be quantised (not finite, an int8 scale beyond fp16). `host`, when
  // given, replaces the model's own weights (synthetic or safetensors); `prequantized`, when given
  // (a pre-quantised checkpoint's layers, engine/model/prequantized_weights.h), gives the four
  // projections' codes and scales as they are (host then holds the rest); `smoothing`, when given,
  // smooths the weights (not with `prequantized`).
  DeviceWeights(const ModelConfig& config, const ModelSpec& spec, const PrecisionDtypes& dtypes,
                const ModelWeights* host = nullptr, const std::vector<QuantizedLayer>* prequantized = nullptr,
                const SmoothingFactors* smoothing = nullptr);
  ~DeviceWeights();
  DeviceWeights(const DeviceWeights&) = delete;
  DeviceWeights& operator=(const DeviceWeights&) = delete;

  static int64_t bytes_needed(const ModelConfig& config, const PrecisionDtypes& dtypes);
  int64_t bytes() const { return bytes_; }
  bool quantised() const { return quantised_; }

  __half* embed = nullptr;       // [vocab, hidden]
  std::vector<DeviceLayer> layers;
  __half* final_norm = nullptr;  // [hidden]
  __half* lm_head = nullptr;     // [vocab, hidden] (== embed when tied)
  // W8A16 (int8 weights, fp16 GEMM inputs): fp16 room for the largest projection, where a prefill
  // GEMM dequantises its weight before the fp16 GEMM; nullptr otherwise.
  __half* dequant_scratch = nullptr;

 private:
  // Carves base_ into the tensors and writes them.
  void fill(const ModelConfig& config, const ModelSpec& spec, const PrecisionDtypes& dtypes, const ModelWeights* host,
            const std::vector<QuantizedLayer>* prequantized, const SmoothingFactors* smoothing);

  void* base_ = nullptr;
  int64_t bytes_ = 0;
  bool quantised_ = false;
};

}  // namespace rooflm
