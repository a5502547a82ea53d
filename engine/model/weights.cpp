// HostTensor helpers and the seeded synthetic weights (formula and tensor ids: synthetic_init.h).
#include "engine/model/weights.h"

#include <algorithm>
#include <string>

#include "common/error.h"
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

HostTensor zero_tensor(std::vector<int64_t> shape) {
  HostTensor tensor;
  tensor.shape = std::move(shape);
  tensor.data.resize(static_cast<size_t>(tensor.numel()));
  return tensor;
}

// Fills `count` elements of `tensor` from element `begin` with tensor `tensor_id`'s values, its
// element index counted from 0 at `begin` (one part of a packed tensor, or a whole one).
void fill_part(HostTensor& tensor, int64_t begin, int64_t count, uint64_t seed, uint64_t tensor_id, float scale,
               float offset) {
  float* out = tensor.data.data() + begin;
  for (int64_t index = 0; index < count; ++index)
    out[index] = round_to_fp16(offset + synthetic_value(seed, tensor_id, uint64_t(index), scale));
}

HostTensor whole(std::vector<int64_t> shape, uint64_t seed, uint64_t tensor_id, float scale, float offset) {
  HostTensor tensor = zero_tensor(std::move(shape));
  fill_part(tensor, 0, tensor.numel(), seed, tensor_id, scale, offset);
  return tensor;
}

// A projection [out_features, in_features] ~ U(-a, a), a = 1/sqrt(in_features).
HostTensor projection(int64_t out_features, int64_t in_features, uint64_t seed, uint64_t tensor_id) {
  return whole({out_features, in_features}, seed, tensor_id, synthetic_projection_scale(in_features), 0.0f);
}

// An RMSNorm weight [size] ~ 1 + U(-0.1, 0.1).
HostTensor norm(int64_t size, uint64_t seed, uint64_t tensor_id) {
  return whole({size}, seed, tensor_id, kSyntheticNormSpread, 1.0f);
}

// Salt of the outlier-channel draw (not a tensor id: the weights' values stay as they are).
constexpr uint64_t kOutlierChannelSalt = 0x6f75746c69657273ull;  // "outliers"

}  // namespace

std::vector<int64_t> synthetic_outlier_channels(const ModelConfig& config, uint64_t seed,
                                                const SyntheticOutliers& outliers) {
  if (!outliers.enabled()) return {};
  if (outliers.channels > config.hidden / 2)
    throw InputError("model.synthetic_outliers.channels = " + std::to_string(outliers.channels) +
                     " is more than half of model '" + config.name + "''s hidden size " + std::to_string(config.hidden) +
                     " (at most " + std::to_string(config.hidden / 2) + ")");
  std::vector<int64_t> channels;
  uint64_t state = splitmix64(seed ^ kOutlierChannelSalt);
  while (int64_t(channels.size()) < outliers.channels) {  // rejection of repeats; at most half are taken
    const int64_t channel = int64_t(state % uint64_t(config.hidden));
    if (std::find(channels.begin(), channels.end(), channel) == channels.end()) channels.push_back(channel);
    state = splitmix64(state);
  }
  std::sort(channels.begin(), channels.end());
  return channels;
}

HostTensor synthetic_layer_norm(const ModelConfig& config, uint64_t seed, int64_t layer, SyntheticLayerTensor norm_kind,
                                const SyntheticOutliers& outliers) {
  ROOFLM_CHECK(norm_kind == SyntheticLayerTensor::attn_norm || norm_kind == SyntheticLayerTensor::mlp_norm,
               "synthetic_layer_norm makes attn_norm or mlp_norm");
  const uint64_t id = synthetic_layer_tensor_id(uint64_t(layer), norm_kind);
  HostTensor tensor = norm(config.hidden, seed, id);
  for (const int64_t c : synthetic_outlier_channels(config, seed, outliers))
    tensor.data[size_t(c)] =
        round_to_fp16(float(double(1.0f + synthetic_value(seed, id, uint64_t(c), kSyntheticNormSpread)) * outliers.scale));
  return tensor;
}

ModelWeights synthetic_weights(const ModelConfig& config, uint64_t seed) {
  return synthetic_weights(config, seed, SyntheticOutliers{});
}

ModelWeights synthetic_weights(const ModelConfig& config, uint64_t seed, const SyntheticOutliers& outliers) {
  config.validate();
  const int64_t H = config.hidden, QD = config.q_dim(), KD = config.kv_dim(), F = config.ffn;
  const float hidden_scale = synthetic_projection_scale(H);
  ModelWeights weights;
  weights.embed = whole({config.vocab, H}, seed, synthetic_embed_id(), 1.0f, 0.0f);
  weights.layers.reserve(static_cast<size_t>(config.n_layers));
  for (int64_t layer = 0; layer < config.n_layers; ++layer) {
    const auto id = [layer](SyntheticLayerTensor tensor) { return synthetic_layer_tensor_id(uint64_t(layer), tensor); };
    LayerWeights& w = weights.layers.emplace_back();
    w.attn_norm = synthetic_layer_norm(config, seed, layer, SyntheticLayerTensor::attn_norm, outliers);
    w.wqkv = zero_tensor({config.qkv_dim(), H});
    fill_part(w.wqkv, 0, QD * H, seed, id(SyntheticLayerTensor::wq), hidden_scale, 0.0f);
    fill_part(w.wqkv, QD * H, KD * H, seed, id(SyntheticLayerTensor::wk), hidden_scale, 0.0f);
    fill_part(w.wqkv, (QD + KD) * H, KD * H, seed, id(SyntheticLayerTensor::wv), hidden_scale, 0.0f);
    if (config.qkv_bias) {
      const auto bias_id = [&](SyntheticBiasTensor bias) {
        return synthetic_bias_id(uint64_t(config.n_layers), uint64_t(layer), bias);
      };
      w.bqkv = zero_tensor({config.qkv_dim()});
      fill_part(w.bqkv, 0, QD, seed, bias_id(SyntheticBiasTensor::bq), kSyntheticBiasSpread, 0.0f);
      fill_part(w.bqkv, QD, KD, seed, bias_id(SyntheticBiasTensor::bk), kSyntheticBiasSpread, 0.0f);
      fill_part(w.bqkv, QD + KD, KD, seed, bias_id(SyntheticBiasTensor::bv), kSyntheticBiasSpread, 0.0f);
    }
    w.wo = projection(H, QD, seed, id(SyntheticLayerTensor::wo));
    w.mlp_norm = synthetic_layer_norm(config, seed, layer, SyntheticLayerTensor::mlp_norm, outliers);
    w.w_gate_up = zero_tensor({2 * F, H});
    fill_part(w.w_gate_up, 0, F * H, seed, id(SyntheticLayerTensor::w_gate), hidden_scale, 0.0f);
    fill_part(w.w_gate_up, F * H, F * H, seed, id(SyntheticLayerTensor::w_up), hidden_scale, 0.0f);
    w.w_down = projection(H, F, seed, id(SyntheticLayerTensor::w_down));
  }
  weights.final_norm = norm(H, seed, synthetic_final_norm_id(uint64_t(config.n_layers)));
  if (!config.tied_embeddings) {
    weights.lm_head = projection(config.vocab, H, seed, synthetic_lm_head_id(uint64_t(config.n_layers)));
  }
  return weights;
}

}  // namespace rooflm
