// DeviceSmoothing (device_smoothing.h): which factors each tensor of a layer takes, as
// apply_smoothing (engine/model/smoothing.cpp) applies them on the host.
#include "engine/backend/cuda/device_smoothing.h"

#include <cuda_runtime.h>

#include <algorithm>

#include "common/error.h"
#include "kernels/common/cuda_check.h"
#include "kernels/quant/smooth_f16.h"

namespace rooflm {

DeviceSmoothing::DeviceSmoothing(const ModelConfig& config, const SmoothingFactors* factors)
    : c_(config), factors_(factors != nullptr && !factors->empty() ? factors : nullptr) {
  if (factors_ == nullptr) return;
  check_smoothing(*factors_, c_);
  const int64_t widest = std::max({c_.hidden, c_.q_dim(), c_.ffn, c_.kv_dim()});
  ROOFLM_CUDA_CHECK(cudaMalloc(&buffer_, size_t(widest) * sizeof(float)));
}

DeviceSmoothing::~DeviceSmoothing() {
  if (buffer_) cudaFree(buffer_);
}

const float* DeviceSmoothing::upload(const std::vector<float>& s) {
  ROOFLM_CUDA_CHECK(cudaMemcpy(buffer_, s.data(), s.size() * sizeof(float), cudaMemcpyHostToDevice));
  return buffer_;
}

void DeviceSmoothing::columns(__half* w, int64_t rows, int64_t cols, const std::vector<float>& s) {
  if (s.empty()) return;
  ROOFLM_CHECK(int64_t(s.size()) == cols, "a smoothing factor per column");
  scale_columns_f16(w, rows, cols, upload(s), nullptr);
}

void DeviceSmoothing::rows(__half* w, int64_t rows, int64_t cols, const std::vector<float>& s) {
  if (s.empty()) return;
  ROOFLM_CHECK(int64_t(s.size()) == rows, "a smoothing divisor per row");
  divide_rows_f16(w, rows, cols, upload(s), nullptr);
}

void DeviceSmoothing::apply(int64_t layer, LayerTensor tensor, __half* t) {
  if (factors_ == nullptr) return;
  const LayerSmoothing& f = (*factors_)[size_t(layer)];
  const int64_t H = c_.hidden, QD = c_.q_dim(), KD = c_.kv_dim(), F = c_.ffn;
  switch (tensor) {
    case LayerTensor::attn_norm: rows(t, H, 1, f.attn_in); break;
    case LayerTensor::wqkv:
      columns(t, c_.qkv_dim(), H, f.attn_in);
      rows(t + (QD + KD) * H, KD, H, v_row_divisors(f, c_));
      break;
    case LayerTensor::bqkv: rows(t + QD + KD, KD, 1, v_row_divisors(f, c_)); break;
    case LayerTensor::wo: columns(t, H, QD, f.attn_out); break;
    case LayerTensor::mlp_norm: rows(t, H, 1, f.mlp_in); break;
    case LayerTensor::w_gate_up:
      columns(t, 2 * F, H, f.mlp_in);
      rows(t + F * H, F, H, f.mlp_act);  // up_proj rows
      break;
    case LayerTensor::w_down: columns(t, H, F, f.mlp_act); break;
  }
}

}  // namespace rooflm
