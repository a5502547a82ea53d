// DeviceSmoothing: SmoothQuant's weight transform (engine/model/smoothing.h) applied to a layer's
// fp16 tensors on the GPU as DeviceWeights writes them, bit for bit as the host's apply_smoothing
// (kernels/quant/smooth_f16.h). A tensor is smoothed once its values are in place and before it is
// quantised; its columns are scaled before its rows are divided, as on the host.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>
#include <vector>

#include "engine/model/smoothing.h"

namespace rooflm {

enum class LayerTensor : uint8_t { attn_norm, wqkv, bqkv, wo, mlp_norm, w_gate_up, w_down };

class DeviceSmoothing {
 public:
  // `factors`: none (every apply is a no-op) or check_smoothing's (std::logic_error otherwise).
  DeviceSmoothing(const ModelConfig& config, const SmoothingFactors* factors);
  ~DeviceSmoothing();
  DeviceSmoothing(const DeviceSmoothing&) = delete;
  DeviceSmoothing& operator=(const DeviceSmoothing&) = delete;

  // Smooths `tensor` (layer `layer`'s, laid out as DeviceLayer's) on the default stream.
  void apply(int64_t layer, LayerTensor tensor, __half* values);

 private:
  void columns(__half* w, int64_t rows, int64_t cols, const std::vector<float>& s);
  void rows(__half* w, int64_t rows, int64_t cols, const std::vector<float>& s);
  const float* upload(const std::vector<float>& s);

  const ModelConfig& c_;
  const SmoothingFactors* factors_;
  float* buffer_ = nullptr;  // room for the widest factor vector, reused: copies and kernels run in order
};

}  // namespace rooflm
