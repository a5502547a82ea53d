// HostTensor helpers and the seeded synthetic weights (formula and tensor ids: synthetic_init.h).
#include "engine/model/weights.h"

#include "common/half.h"
#include "common/synthetic_init.h"

namespace rooflm {

int64_t HostTensor::numel() const {
  if (shape.empty()) return 0;  // an absent tensor (e.g. the lm_head of a tied model)
  int64_t count = 1;
  for (const int64_t dim : shape) count *= dim;
  return count;
}

namespace {

HostTensor make_tensor(std::vector<int64_t> shape, uint64_t seed, uint64_t tensor_id, float scale, float offset) {
  HostTensor tensor;
  tensor.shape = std::move(shape);
  tensor.data.resize(static_cast<size_t>(tensor.numel()));
  for (size_t index = 0; index < tensor.data.size(); ++index) {
    tensor.data[index] = round_to_fp16(offset + synthetic_value(seed, tensor_id, index, scale));
  }
  return tensor;
}

// A projection [out_features, in_features] ~ U(-a, a), a = 1/sqrt(in_features).
HostTensor projection(int64_t out_features, int64_t in_features, uint64_t seed, uint64_t tensor_id) {
  return make_tensor({out_features, in_features}, seed, tensor_id, synthetic_projection_scale(in_features), 0.0f);
}

// An RMSNorm weight [size] ~ 1 + U(-0.1, 0.1).
HostTensor norm(int64_t size, uint64_t seed, uint64_t tensor_id) {
  return make_tensor({size}, seed, tensor_id, kSyntheticNormSpread, 1.0f);
}

}  // namespace

ModelWeights synthetic_weights(const ModelConfig& config, uint64_t seed) {
  config.validate();
  const int64_t hidden = config.hidden;
  ModelWeights weights;
  weights.embed = make_tensor({config.vocab, hidden}, seed, synthetic_embed_id(), 1.0f, 0.0f);
  weights.layers.reserve(static_cast<size_t>(config.n_layers));
  for (int64_t layer = 0; layer < config.n_layers; ++layer) {
    const auto id = [layer](SyntheticLayerTensor tensor) { return synthetic_layer_tensor_id(layer, tensor); };
    LayerWeights& w = weights.layers.emplace_back();
    w.attn_norm = norm(hidden, seed, id(SyntheticLayerTensor::attn_norm));
    w.wq = projection(config.q_dim(), hidden, seed, id(SyntheticLayerTensor::wq));
    w.wk = projection(config.kv_dim(), hidden, seed, id(SyntheticLayerTensor::wk));
    w.wv = projection(config.kv_dim(), hidden, seed, id(SyntheticLayerTensor::wv));
    w.wo = projection(hidden, config.q_dim(), seed, id(SyntheticLayerTensor::wo));
    w.mlp_norm = norm(hidden, seed, id(SyntheticLayerTensor::mlp_norm));
    w.w_gate = projection(config.ffn, hidden, seed, id(SyntheticLayerTensor::w_gate));
    w.w_up = projection(config.ffn, hidden, seed, id(SyntheticLayerTensor::w_up));
    w.w_down = projection(hidden, config.ffn, seed, id(SyntheticLayerTensor::w_down));
  }
  weights.final_norm = norm(hidden, seed, synthetic_final_norm_id(config.n_layers));
  if (!config.tied_embeddings) {
    weights.lm_head = projection(config.vocab, hidden, seed, synthetic_lm_head_id(config.n_layers));
  }
  return weights;
}

}  // namespace rooflm
