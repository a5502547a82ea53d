// Quantising the cpu backend's layer weights at load (see quantized_weights.h).
#include "engine/backend/cpu/quantized_weights.h"

#include <string>
#include <utility>

#include "common/error.h"

namespace rooflm {
namespace {

// Quantises `tensor` ([rows, cols]) and frees its fp32 values.
ref::QuantizedWeight quantize(HostTensor& tensor, const PrecisionDtypes& dtypes, int32_t layer, const char* tensor_name) {
  ROOFLM_CHECK(tensor.shape.size() == 2 && !tensor.data.empty(), std::string("layer weight ") + tensor_name + " is a matrix");
  try {
    ref::QuantizedWeight q =
        ref::quantize_weight(tensor.ptr(), tensor.shape[0], tensor.shape[1], dtypes.weight,
                             reference_weight_grain(dtypes.weight_scales.grain), dtypes.weight_scales.group_size);
    tensor = HostTensor{};
    return q;
  } catch (const InputError& e) {
    throw InputError("engine.precision \"" + std::string(name(dtypes.precision)) + "\": layer " + std::to_string(layer) +
                     " weight " + tensor_name + ": " + e.what());
  }
}

}  // namespace

QuantizedLayerWeights::QuantizedLayerWeights(ModelWeights& weights, const PrecisionDtypes& dtypes)
    : scale_dtype_(dtypes.weight_scales.dtype) {
  ROOFLM_CHECK(dtypes.weight == DType::i8 || dtypes.weight == DType::f8e4m3, "a quantised weight dtype");
  for (size_t l = 0; l < weights.layers.size(); ++l) {
    LayerWeights& L = weights.layers[l];
    const int32_t layer = int32_t(l);
    layers_.push_back({quantize(L.wqkv, dtypes, layer, "wqkv (q_proj; k_proj; v_proj)"), quantize(L.wo, dtypes, layer, "wo (o_proj)"),
                       quantize(L.w_gate_up, dtypes, layer, "w_gate_up (gate_proj; up_proj)"),
                       quantize(L.w_down, dtypes, layer, "w_down (down_proj)")});
  }
}

QuantizedLayerWeights::QuantizedLayerWeights(std::vector<QuantizedLayer> layers, const PrecisionDtypes& dtypes)
    : layers_(std::move(layers)), scale_dtype_(dtypes.weight_scales.dtype) {
  const ref::WeightScaleGrain grain = reference_weight_grain(dtypes.weight_scales.grain);
  for (const QuantizedLayer& L : layers_)
    for (const ref::QuantizedWeight* w : {&L.wqkv, &L.wo, &L.w_gate_up, &L.w_down})
      ROOFLM_CHECK(w->dtype == dtypes.weight && w->grain == grain &&
                       (grain != ref::WeightScaleGrain::group || w->group_size == dtypes.weight_scales.group_size),
                   "pre-quantised layers packed for the variant's weight dtype and scales");
}

ref::QuantWeightView QuantizedLayerWeights::view(const ParamSlice& slice, int32_t layer) const {
  ROOFLM_CHECK(layer >= 0 && size_t(layer) < layers_.size(), "a quantised weight of a transformer layer");
  const QuantizedLayer& L = layers_[size_t(layer)];
  const ref::QuantizedWeight* w = nullptr;
  switch (slice.param) {
    case Param::wqkv: w = &L.wqkv; break;
    case Param::wo: w = &L.wo; break;
    case Param::w_gate_up: w = &L.w_gate_up; break;
    case Param::w_down: w = &L.w_down; break;
    default: break;
  }
  ROOFLM_CHECK(w != nullptr, "only the layers' linear weights are quantised");
  return ref::view_rows(*w, slice.row_begin, slice.rows);
}

int64_t QuantizedLayerWeights::bytes() const {
  int64_t total = 0;
  for (const QuantizedLayer& L : layers_)
    for (const ref::QuantizedWeight* w : {&L.wqkv, &L.wo, &L.w_gate_up, &L.w_down})
      total += int64_t(w->codes.size()) + int64_t(w->scales.size()) * int64_t(dtype_size(scale_dtype_));
  return total;
}

}  // namespace rooflm
