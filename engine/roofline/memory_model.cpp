// Weight and KV-cache bytes, and the largest batch that fits in device memory.
#include "engine/roofline/memory_model.h"

#include <cmath>

#include "common/error.h"
#include "common/kv_view.h"

namespace rooflm {

int64_t model_weight_bytes(const ModelConfig& model, const PrecisionDtypes& precision) {
  const int64_t hidden = model.hidden, q_dim = model.q_dim(), kv_dim = model.kv_dim(), ffn = model.ffn;
  // The stored (packed) weights [out, in]: wqkv [q + 2 kv, h], wo [h, q], w_gate_up [2 f, h], w_down [h, f];
  // a per-tensor scale is one per stored tensor.
  const int64_t shapes[4][2] = {{q_dim + 2 * kv_dim, hidden}, {hidden, q_dim}, {2 * ffn, hidden}, {hidden, ffn}};
  int64_t linear = 0;
  for (const auto& [out, in] : shapes)
    linear += out * in * precision.weight_bytes() + precision.weight_scales.bytes(out, in);
  const int64_t bias_elements = model.qkv_bias ? model.qkv_dim() : 0;  // bq, bk, bv (Qwen2)
  const int64_t per_layer = linear + (2 * hidden + bias_elements) * kFp16Bytes;
  const int64_t embedding = model.vocab * hidden * kFp16Bytes;
  const int64_t lm_head = model.tied_embeddings ? 0 : model.vocab * hidden * kFp16Bytes;
  return model.n_layers * per_layer + embedding + hidden * kFp16Bytes + lm_head;
}

int64_t kv_bytes_per_token(const ModelConfig& model, const PrecisionDtypes& precision) {
  const KvGeometry token{.n_layers = model.n_layers, .n_kv_heads = model.n_kv_heads, .head_dim = model.head_dim,
                         .dtype = precision.kv};
  return token.bytes_per_token();
}

int64_t kv_bytes_per_sequence(const ModelConfig& model, const PrecisionDtypes& precision, int64_t tokens) {
  return tokens * kv_bytes_per_token(model, precision);
}

int64_t max_batch_that_fits(const ModelConfig& model, const PrecisionDtypes& precision, const GpuSpec& gpu,
                            int64_t tokens) {
  ROOFLM_CHECK(tokens > 0, "sequence length must be positive, got " + std::to_string(tokens));
  const double budget = double(gpu.memory_bytes) * (1 - kMemoryReserveFraction) -
                        double(model_weight_bytes(model, precision));
  if (budget <= 0) return 0;
  return int64_t(std::floor(budget / double(kv_bytes_per_sequence(model, precision, tokens))));
}

}  // namespace rooflm
