// QuantizedLayerWeights: the cpu backend's transformer-layer linear weights in a quantised
// precision (engine/model/precision.h), in the packed layout of weights.h (wqkv, wo, w_gate_up,
// w_down; a node reads a row slice of one): quantised once at load with the reference quantiser
// (reference/quant.h) from the fp16-rounded fp32 weights, or a pre-quantised checkpoint's codes and
// scales as they are (engine/model/prequantized_weights.h). A per-tensor scale is one per packed
// tensor. Embedding, norms, biases and the LM head are not quantised (precision.h).
#pragma once

#include <vector>

#include "engine/model/precision.h"
#include "engine/model/quantized_layer.h"
#include "engine/model/step_program.h"
#include "engine/model/weights.h"
#include "reference/quant.h"

namespace rooflm {

class QuantizedLayerWeights {
 public:
  QuantizedLayerWeights() = default;
  // Quantises every layer's linear weights of `weights` to `dtypes` (weight dtype and scales) and
  // releases their fp32 copies. Throws InputError (naming the layer and tensor) for weights the
  // quantiser refuses (non-finite, beyond an fp16 scale, a group size that does not divide).
  QuantizedLayerWeights(ModelWeights& weights, const PrecisionDtypes& dtypes);
  // Holds `layers` as they are (load_prequantized_layers for `dtypes`: its weight dtype and scales).
  QuantizedLayerWeights(std::vector<QuantizedLayer> layers, const PrecisionDtypes& dtypes);

  bool empty() const { return layers_.empty(); }
  // The rows of `slice` (a linear node's weight) of `layer`.
  ref::QuantWeightView view(const ParamSlice& slice, int32_t layer) const;
  // Bytes held: codes and scales (fp16 scales counted at 2 bytes, as stored on a GPU).
  int64_t bytes() const;

 private:
  std::vector<QuantizedLayer> layers_;
  DType scale_dtype_ = DType::f16;
};

}  // namespace rooflm
