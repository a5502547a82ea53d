// DeviceWeights: one allocation carved into tensors; synthetic fill on the GPU or host upload.
#include "engine/backend/cuda/device_weights.h"

#include <cuda_runtime.h>

#include "common/error.h"
#include "common/synthetic_init.h"
#include "kernels/common/cuda_check.h"
#include "kernels/embedding/synthetic_fill_f16.h"

namespace rooflm {
namespace {

constexpr int64_t kAlign = 256;  // bytes; every tensor starts 256-byte aligned

int64_t aligned(int64_t elems) { return (elems * 2 + kAlign - 1) / kAlign * kAlign; }

struct Layout {  // element counts of every tensor, in allocation order
  int64_t embed, attn_norm, wqkv, bqkv, wo, mlp_norm, w_gate_up, w_down, final_norm, lm_head;
  explicit Layout(const ModelConfig& c)
      : embed(c.vocab * c.hidden),
        attn_norm(c.hidden),
        wqkv(c.qkv_dim() * c.hidden),
        bqkv(c.qkv_bias ? c.qkv_dim() : 0),
        wo(c.hidden * c.q_dim()),
        mlp_norm(c.hidden),
        w_gate_up(2 * c.ffn * c.hidden),
        w_down(c.hidden * c.ffn),
        final_norm(c.hidden),
        lm_head(c.tied_embeddings ? 0 : c.vocab * c.hidden) {}
  int64_t layer_bytes() const {
    return aligned(attn_norm) + aligned(wqkv) + aligned(bqkv) + aligned(wo) + aligned(mlp_norm) + aligned(w_gate_up) +
           aligned(w_down);
  }
};

// Copies a host tensor of `elems` elements (checked: the layouts must agree) to the device.
void upload(__half* dst, const HostTensor& t, int64_t elems) {
  ROOFLM_CHECK(t.numel() == elems && int64_t(t.data.size()) == elems,
               "host tensor of " + std::to_string(t.numel()) + " elements for a device tensor of " +
                   std::to_string(elems));
  std::vector<__half> h(t.data.size());
  for (size_t i = 0; i < h.size(); ++i) h[i] = __float2half_rn(t.data[i]);  // values are fp16-exact
  ROOFLM_CUDA_CHECK(cudaMemcpy(dst, h.data(), h.size() * 2, cudaMemcpyHostToDevice));
}

}  // namespace

int64_t DeviceWeights::bytes_needed(const ModelConfig& c) {
  const Layout l(c);
  return aligned(l.embed) + c.n_layers * l.layer_bytes() + aligned(l.final_norm) + aligned(l.lm_head);
}

DeviceWeights::DeviceWeights(const ModelConfig& c, const ModelSpec& spec) {
  bytes_ = bytes_needed(c);
  size_t free_bytes = 0, total_bytes = 0;
  ROOFLM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (bytes_ > int64_t(free_bytes))
    throw InputError("model " + c.name + " needs " + std::to_string(bytes_) + " bytes of fp16 weights but the GPU has " +
                     std::to_string(free_bytes) + " bytes free");
  ROOFLM_CUDA_CHECK(cudaMalloc(&base_, size_t(bytes_)));
  char* p = static_cast<char*>(base_);
  auto take = [&](int64_t elems) {
    auto* t = reinterpret_cast<__half*>(p);
    p += aligned(elems);
    return t;
  };
  const Layout l(c);
  embed = take(l.embed);
  layers.resize(size_t(c.n_layers));
  for (auto& L : layers) {
    L.attn_norm = take(l.attn_norm);
    L.wqkv = take(l.wqkv);
    L.bqkv = c.qkv_bias ? take(l.bqkv) : nullptr;
    L.wo = take(l.wo);
    L.mlp_norm = take(l.mlp_norm);
    L.w_gate_up = take(l.w_gate_up);
    L.w_down = take(l.w_down);
  }
  final_norm = take(l.final_norm);
  lm_head = c.tied_embeddings ? embed : take(l.lm_head);

  const int64_t H = c.hidden, QD = c.q_dim(), KD = c.kv_dim();
  if (spec.weights_dir.empty()) {
    const uint64_t seed = spec.seed;
    const float norm = kSyntheticNormSpread;
    fill_synthetic_f16(embed, l.embed, seed, synthetic_embed_id(), 1.0f, 0.0f, nullptr);
    for (int64_t i = 0; i < c.n_layers; ++i) {
      const DeviceLayer& L = layers[size_t(i)];
      auto id = [i](SyntheticLayerTensor t) { return synthetic_layer_tensor_id(uint64_t(i), t); };
      const float s_h = synthetic_projection_scale(H), s_q = synthetic_projection_scale(c.q_dim()),
                  s_f = synthetic_projection_scale(c.ffn);
      // The layer norms come from the host (H values each): where model.synthetic_outliers are planted.
      upload(L.attn_norm, synthetic_layer_norm(c, seed, i, SyntheticLayerTensor::attn_norm, spec.outliers), H);
      fill_synthetic_f16(L.wqkv, QD * H, seed, id(SyntheticLayerTensor::wq), s_h, 0.0f, nullptr);
      fill_synthetic_f16(L.wqkv + QD * H, KD * H, seed, id(SyntheticLayerTensor::wk), s_h, 0.0f, nullptr);
      fill_synthetic_f16(L.wqkv + (QD + KD) * H, KD * H, seed, id(SyntheticLayerTensor::wv), s_h, 0.0f, nullptr);
      if (c.qkv_bias) {
        auto bias_id = [&](SyntheticBiasTensor b) { return synthetic_bias_id(uint64_t(c.n_layers), uint64_t(i), b); };
        const float s_b = kSyntheticBiasSpread;
        fill_synthetic_f16(L.bqkv, QD, seed, bias_id(SyntheticBiasTensor::bq), s_b, 0.0f, nullptr);
        fill_synthetic_f16(L.bqkv + QD, KD, seed, bias_id(SyntheticBiasTensor::bk), s_b, 0.0f, nullptr);
        fill_synthetic_f16(L.bqkv + QD + KD, KD, seed, bias_id(SyntheticBiasTensor::bv), s_b, 0.0f, nullptr);
      }
      fill_synthetic_f16(L.wo, H * QD, seed, id(SyntheticLayerTensor::wo), s_q, 0.0f, nullptr);
      upload(L.mlp_norm, synthetic_layer_norm(c, seed, i, SyntheticLayerTensor::mlp_norm, spec.outliers), H);
      fill_synthetic_f16(L.w_gate_up, c.ffn * H, seed, id(SyntheticLayerTensor::w_gate), s_h, 0.0f, nullptr);
      fill_synthetic_f16(L.w_gate_up + c.ffn * H, c.ffn * H, seed, id(SyntheticLayerTensor::w_up), s_h, 0.0f, nullptr);
      fill_synthetic_f16(L.w_down, H * c.ffn, seed, id(SyntheticLayerTensor::w_down), s_f, 0.0f, nullptr);
    }
    fill_synthetic_f16(final_norm, H, seed, synthetic_final_norm_id(uint64_t(c.n_layers)), norm, 1.0f, nullptr);
    if (!c.tied_embeddings)
      fill_synthetic_f16(lm_head, l.lm_head, seed, synthetic_lm_head_id(uint64_t(c.n_layers)),
                         synthetic_projection_scale(H), 0.0f, nullptr);
  } else {
    const ModelWeights host = load_safetensors_weights(spec.weights_dir, c);
    upload(embed, host.embed, l.embed);
    for (int64_t i = 0; i < c.n_layers; ++i) {
      const DeviceLayer& L = layers[size_t(i)];
      const LayerWeights& w = host.layers[size_t(i)];
      upload(L.attn_norm, w.attn_norm, l.attn_norm);
      upload(L.wqkv, w.wqkv, l.wqkv);
      if (c.qkv_bias) upload(L.bqkv, w.bqkv, l.bqkv);
      upload(L.wo, w.wo, l.wo);
      upload(L.mlp_norm, w.mlp_norm, l.mlp_norm);
      upload(L.w_gate_up, w.w_gate_up, l.w_gate_up);
      upload(L.w_down, w.w_down, l.w_down);
    }
    upload(final_norm, host.final_norm, l.final_norm);
    if (!c.tied_embeddings) upload(lm_head, host.lm_head, l.lm_head);
  }
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
}

DeviceWeights::~DeviceWeights() {
  if (base_) cudaFree(base_);
}

}  // namespace rooflm
