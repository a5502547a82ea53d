// DeviceWeights: one allocation carved into tensors; synthetic fill on the GPU or host upload; the
// projections of a quantised precision staged in fp16 one at a time and quantised on the GPU.
#include "engine/backend/cuda/device_weights.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <memory>

#include "common/error.h"
#include "common/synthetic_init.h"
#include "engine/backend/cuda/device_smoothing.h"
#include "kernels/common/cuda_check.h"
#include "kernels/embedding/synthetic_fill_f16.h"

namespace rooflm {
namespace {

constexpr int64_t kAlign = 256;  // bytes; every tensor starts 256-byte aligned

int64_t aligned_bytes(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }
int64_t aligned(int64_t elems) { return aligned_bytes(elems * 2); }

WeightGrain device_grain(ScaleGrain grain) {
  switch (grain) {
    case ScaleGrain::tensor: return WeightGrain::tensor;
    case ScaleGrain::group: return WeightGrain::group;
    default: return WeightGrain::channel;
  }
}

struct Shape {
  int64_t rows, cols;
  int64_t elems() const { return rows * cols; }
};

struct Layout {  // shapes of every tensor, in allocation order
  int64_t embed, attn_norm, bqkv, mlp_norm, final_norm, lm_head;
  Shape wqkv, wo, w_gate_up, w_down;
  explicit Layout(const ModelConfig& c)
      : embed(c.vocab * c.hidden),
        attn_norm(c.hidden),
        bqkv(c.qkv_bias ? c.qkv_dim() : 0),
        mlp_norm(c.hidden),
        final_norm(c.hidden),
        lm_head(c.tied_embeddings ? 0 : c.vocab * c.hidden),
        wqkv{c.qkv_dim(), c.hidden},
        wo{c.hidden, c.q_dim()},
        w_gate_up{2 * c.ffn, c.hidden},
        w_down{c.hidden, c.ffn} {}
  int64_t largest_projection() const {
    return std::max({wqkv.elems(), wo.elems(), w_gate_up.elems(), w_down.elems()});
  }
};

// Bytes of one projection as stored: fp16, or codes and scales.
int64_t projection_bytes(const Shape& s, const PrecisionDtypes& d) {
  if (d.weight == DType::f16) return aligned(s.elems());
  return aligned_bytes(s.elems()) +
         aligned_bytes(weight_scale_bytes(d.weight, device_grain(d.weight_scales.grain), s.rows, s.cols,
                                          d.weight_scales.group_size));
}

int64_t layer_bytes(const Layout& l, const PrecisionDtypes& d) {
  return aligned(l.attn_norm) + projection_bytes(l.wqkv, d) + aligned(l.bqkv) + projection_bytes(l.wo, d) +
         aligned(l.mlp_norm) + projection_bytes(l.w_gate_up, d) + projection_bytes(l.w_down, d);
}

// Copies a host tensor of `elems` elements (checked: the layouts must agree) to the device.
void upload(__half* dst, const HostTensor& t, int64_t elems) {
  ROOFLM_CHECK(t.numel() == elems && int64_t(t.data.size()) == elems,
               "host tensor of " + std::to_string(t.numel()) + " elements for a device tensor of " +
                   std::to_string(elems));
  std::vector<__half> h(t.data.size());
  for (size_t i = 0; i < h.size(); ++i) h[i] = __float2half_rn(t.data[i]);  // values are fp16-exact
  ROOFLM_CUDA_CHECK(cudaMemcpy(dst, h.data(), h.size() * 2, cudaMemcpyHostToDevice));
}

// Copies a host quantised weight (reference/quant.h: fp32 scales, fp16-exact for int8) into its
// device codes and scales, checking that the layouts agree (`grain`: the precision's).
void upload_quantized(const QuantWeightDevice& dst, const ref::QuantizedWeight& w, ref::WeightScaleGrain grain,
                      const char* tensor) {
  ROOFLM_CHECK(w.dtype == dst.dtype && w.rows == dst.rows && w.cols == dst.cols &&
                   w.group_size == dst.group_size && w.grain == grain,
               std::string("pre-quantised ") + tensor + " does not match the device layout");
  ROOFLM_CUDA_CHECK(cudaMemcpy(const_cast<uint8_t*>(dst.codes), w.codes.data(), w.codes.size(), cudaMemcpyHostToDevice));
  if (dst.dtype == DType::i8) {
    std::vector<__half> scales(w.scales.size());
    for (size_t i = 0; i < scales.size(); ++i) scales[i] = __float2half_rn(w.scales[i]);  // fp16-exact values
    ROOFLM_CUDA_CHECK(cudaMemcpy(const_cast<void*>(dst.scales), scales.data(), scales.size() * 2, cudaMemcpyHostToDevice));
  } else {
    ROOFLM_CUDA_CHECK(cudaMemcpy(const_cast<void*>(dst.scales), w.scales.data(), w.scales.size() * 4, cudaMemcpyHostToDevice));
  }
}

}  // namespace

int64_t DeviceWeights::bytes_needed(const ModelConfig& c, const PrecisionDtypes& d) {
  const Layout l(c);
  const int64_t staging = d.weight == DType::i8 && d.gemm_input == DType::f16 ? aligned(l.largest_projection()) : 0;
  return aligned(l.embed) + c.n_layers * layer_bytes(l, d) + aligned(l.final_norm) + aligned(l.lm_head) + staging;
}

DeviceWeights::DeviceWeights(const ModelConfig& c, const ModelSpec& spec, const PrecisionDtypes& d,
                             const ModelWeights* host_given, const std::vector<QuantizedLayer>* prequantized,
                             const SmoothingFactors* smoothing) {
  quantised_ = d.weight != DType::f16;
  const WeightGrain grain = device_grain(d.weight_scales.grain);
  const int64_t group = d.weight_scales.group_size;
  if (quantised_)
    for (int64_t cols : {c.hidden, c.q_dim(), c.ffn})
      if (const std::string why = quant_weight_problem(d.weight, grain, cols, group); !why.empty())
        throw InputError("model " + c.name + ", engine.precision \"" + std::string(name(d.precision)) + "\": " + why);
  bytes_ = bytes_needed(c, d);
  size_t free_bytes = 0, total_bytes = 0;
  ROOFLM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (bytes_ > int64_t(free_bytes))
    throw InputError("model " + c.name + " needs " + std::to_string(bytes_) + " bytes of " +
                     std::string(dtype_name(d.weight)) + " weights but the GPU has " + std::to_string(free_bytes) +
                     " bytes free");
  ROOFLM_CUDA_CHECK(cudaMalloc(&base_, size_t(bytes_)));
  try {
    fill(c, spec, d, host_given, prequantized, smoothing);
  } catch (...) {
    cudaFree(base_);
    throw;
  }
}

void DeviceWeights::fill(const ModelConfig& c, const ModelSpec& spec, const PrecisionDtypes& d,
                         const ModelWeights* host_given, const std::vector<QuantizedLayer>* prequantized,
                         const SmoothingFactors* smoothing) {
  const WeightGrain grain = device_grain(d.weight_scales.grain);
  const int64_t group = d.weight_scales.group_size;
  char* p = static_cast<char*>(base_);
  auto take_bytes = [&](int64_t bytes) {
    void* t = p;
    p += aligned_bytes(bytes);
    return t;
  };
  auto take = [&](int64_t elems) { return static_cast<__half*>(take_bytes(elems * 2)); };
  const Layout l(c);
  // A projection: fp16, or codes + scales (its fp16 pointer stays null).
  auto take_projection = [&](const Shape& s, __half*& f16, QuantWeightDevice& q) {
    if (!quantised_) {
      f16 = take(s.elems());
      return;
    }
    f16 = nullptr;
    q.dtype = d.weight;
    q.grain = grain;
    q.rows = s.rows;
    q.cols = s.cols;
    q.group_size = grain == WeightGrain::group ? group : 0;
    q.codes = static_cast<const uint8_t*>(take_bytes(s.elems()));
    q.scales = take_bytes(weight_scale_bytes(d.weight, grain, s.rows, s.cols, q.group_size));
  };
  embed = take(l.embed);
  layers.resize(size_t(c.n_layers));
  for (auto& L : layers) {
    L.attn_norm = take(l.attn_norm);
    take_projection(l.wqkv, L.wqkv, L.wqkv_q);
    L.bqkv = c.qkv_bias ? take(l.bqkv) : nullptr;
    take_projection(l.wo, L.wo, L.wo_q);
    L.mlp_norm = take(l.mlp_norm);
    take_projection(l.w_gate_up, L.w_gate_up, L.w_gate_up_q);
    take_projection(l.w_down, L.w_down, L.w_down_q);
  }
  final_norm = take(l.final_norm);
  lm_head = c.tied_embeddings ? embed : take(l.lm_head);
  if (d.weight == DType::i8 && d.gemm_input == DType::f16) dequant_scratch = take(l.largest_projection());

  // Where a projection's fp16 values are written: its own tensor, or the staging buffer from which
  // `finish` quantises it.
  __half* staging = dequant_scratch;
  std::unique_ptr<void, decltype(&cudaFree)> own_staging(nullptr, &cudaFree);
  if (quantised_ && staging == nullptr) {
    void* buffer = nullptr;
    ROOFLM_CUDA_CHECK(cudaMalloc(&buffer, size_t(l.largest_projection()) * 2));
    own_staging.reset(buffer);
    staging = static_cast<__half*>(buffer);
  }
  auto target = [&](__half* f16) { return quantised_ ? staging : f16; };
  auto finish = [&](const QuantWeightDevice& q, int64_t layer, const char* tensor) {
    if (!quantised_) return;
    if (!quantize_weight_f16(staging, q.rows, q.cols, q.dtype, q.grain, q.group_size, const_cast<uint8_t*>(q.codes),
                             const_cast<void*>(q.scales), nullptr))
      throw InputError("model " + c.name + ", layer " + std::to_string(layer) + " " + tensor + ": cannot quantise to " +
                       std::string(dtype_name(q.dtype)) + ": a weight is not finite or max |w| exceeds 65504 * 127");
  };

  const int64_t H = c.hidden, QD = c.q_dim(), KD = c.kv_dim();
  ROOFLM_CHECK(prequantized == nullptr || (host_given != nullptr && quantised_ &&
                                           prequantized->size() == size_t(c.n_layers)),
               "pre-quantised layers (one per layer, in a quantised precision) come with the host's other weights");
  ROOFLM_CHECK(prequantized == nullptr || smoothing == nullptr || smoothing->empty(),
               "pre-quantised weights cannot be smoothed");
  DeviceSmoothing smooth(c, smoothing);
  if (host_given == nullptr && spec.weights_dir.empty()) {
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
      smooth.apply(i, LayerTensor::attn_norm, L.attn_norm);
      __half* wqkv = target(L.wqkv);
      fill_synthetic_f16(wqkv, QD * H, seed, id(SyntheticLayerTensor::wq), s_h, 0.0f, nullptr);
      fill_synthetic_f16(wqkv + QD * H, KD * H, seed, id(SyntheticLayerTensor::wk), s_h, 0.0f, nullptr);
      fill_synthetic_f16(wqkv + (QD + KD) * H, KD * H, seed, id(SyntheticLayerTensor::wv), s_h, 0.0f, nullptr);
      smooth.apply(i, LayerTensor::wqkv, wqkv);
      finish(L.wqkv_q, i, "wqkv");
      if (c.qkv_bias) {
        auto bias_id = [&](SyntheticBiasTensor b) { return synthetic_bias_id(uint64_t(c.n_layers), uint64_t(i), b); };
        const float s_b = kSyntheticBiasSpread;
        fill_synthetic_f16(L.bqkv, QD, seed, bias_id(SyntheticBiasTensor::bq), s_b, 0.0f, nullptr);
        fill_synthetic_f16(L.bqkv + QD, KD, seed, bias_id(SyntheticBiasTensor::bk), s_b, 0.0f, nullptr);
        fill_synthetic_f16(L.bqkv + QD + KD, KD, seed, bias_id(SyntheticBiasTensor::bv), s_b, 0.0f, nullptr);
        smooth.apply(i, LayerTensor::bqkv, L.bqkv);
      }
      __half* wo = target(L.wo);
      fill_synthetic_f16(wo, H * QD, seed, id(SyntheticLayerTensor::wo), s_q, 0.0f, nullptr);
      smooth.apply(i, LayerTensor::wo, wo);
      finish(L.wo_q, i, "wo");
      upload(L.mlp_norm, synthetic_layer_norm(c, seed, i, SyntheticLayerTensor::mlp_norm, spec.outliers), H);
      smooth.apply(i, LayerTensor::mlp_norm, L.mlp_norm);
      __half* w_gate_up = target(L.w_gate_up);
      fill_synthetic_f16(w_gate_up, c.ffn * H, seed, id(SyntheticLayerTensor::w_gate), s_h, 0.0f, nullptr);
      fill_synthetic_f16(w_gate_up + c.ffn * H, c.ffn * H, seed, id(SyntheticLayerTensor::w_up), s_h, 0.0f, nullptr);
      smooth.apply(i, LayerTensor::w_gate_up, w_gate_up);
      finish(L.w_gate_up_q, i, "w_gate_up");
      __half* w_down = target(L.w_down);
      fill_synthetic_f16(w_down, H * c.ffn, seed, id(SyntheticLayerTensor::w_down), s_f, 0.0f, nullptr);
      smooth.apply(i, LayerTensor::w_down, w_down);
      finish(L.w_down_q, i, "w_down");
    }
    fill_synthetic_f16(final_norm, H, seed, synthetic_final_norm_id(uint64_t(c.n_layers)), norm, 1.0f, nullptr);
    if (!c.tied_embeddings)
      fill_synthetic_f16(lm_head, l.lm_head, seed, synthetic_lm_head_id(uint64_t(c.n_layers)),
                         synthetic_projection_scale(H), 0.0f, nullptr);
  } else {
    const ModelWeights loaded = host_given ? ModelWeights{} : load_safetensors_weights(spec.weights_dir, c);
    const ModelWeights& host = host_given ? *host_given : loaded;
    upload(embed, host.embed, l.embed);
    for (int64_t i = 0; i < c.n_layers; ++i) {
      const DeviceLayer& L = layers[size_t(i)];
      const LayerWeights& w = host.layers[size_t(i)];
      const QuantizedLayer* q = prequantized ? &(*prequantized)[size_t(i)] : nullptr;
      // A projection: the checkpoint's codes and scales as they are, or fp16 (quantised when the
      // precision says so).
      auto projection = [&](__half* f16, const QuantWeightDevice& dq, const HostTensor& t, int64_t elems,
                            const ref::QuantizedWeight* pre, LayerTensor which, const char* tensor) {
        if (pre != nullptr) return upload_quantized(dq, *pre, reference_weight_grain(d.weight_scales.grain), tensor);
        upload(target(f16), t, elems);
        smooth.apply(i, which, target(f16));
        finish(dq, i, tensor);
      };
      auto vector = [&](__half* dst, const HostTensor& t, int64_t elems, LayerTensor which) {
        upload(dst, t, elems);
        smooth.apply(i, which, dst);
      };
      vector(L.attn_norm, w.attn_norm, l.attn_norm, LayerTensor::attn_norm);
      projection(L.wqkv, L.wqkv_q, w.wqkv, l.wqkv.elems(), q ? &q->wqkv : nullptr, LayerTensor::wqkv, "wqkv");
      if (c.qkv_bias) vector(L.bqkv, w.bqkv, l.bqkv, LayerTensor::bqkv);
      projection(L.wo, L.wo_q, w.wo, l.wo.elems(), q ? &q->wo : nullptr, LayerTensor::wo, "wo");
      vector(L.mlp_norm, w.mlp_norm, l.mlp_norm, LayerTensor::mlp_norm);
      projection(L.w_gate_up, L.w_gate_up_q, w.w_gate_up, l.w_gate_up.elems(), q ? &q->w_gate_up : nullptr,
                 LayerTensor::w_gate_up, "w_gate_up");
      projection(L.w_down, L.w_down_q, w.w_down, l.w_down.elems(), q ? &q->w_down : nullptr, LayerTensor::w_down,
                 "w_down");
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
