// QuantizedLayer: one transformer layer's linear weights in a quantised precision, in the packed
// layout of weights.h (wqkv = q_proj; k_proj; v_proj rows, w_gate_up = gate_proj; up_proj rows).
// What the cpu backend quantises at load (engine/backend/cpu/quantized_weights.h) and what a
// pre-quantised checkpoint loads into (prequantized_weights.h); codes and scales as reference/quant.h.
#pragma once

#include "common/error.h"
#include "engine/model/precision.h"
#include "reference/quant.h"

namespace rooflm {

// The reference grain of a weight's ScaleLayout grain (tensor, channel or group).
inline ref::WeightScaleGrain reference_weight_grain(ScaleGrain grain) {
  switch (grain) {
    case ScaleGrain::tensor: return ref::WeightScaleGrain::tensor;
    case ScaleGrain::channel: return ref::WeightScaleGrain::channel;
    case ScaleGrain::group: return ref::WeightScaleGrain::group;
    case ScaleGrain::none:
    case ScaleGrain::token: break;
  }
  ROOFLM_CHECK(false, "quantised weights have tensor, channel or group scales");
  return ref::WeightScaleGrain::channel;
}

struct QuantizedLayer {
  ref::QuantizedWeight wqkv;       // [q_dim + 2*kv_dim, hidden]
  ref::QuantizedWeight wo;         // [hidden, q_dim]
  ref::QuantizedWeight w_gate_up;  // [2*ffn, hidden]
  ref::QuantizedWeight w_down;     // [hidden, ffn]
};

}  // namespace rooflm
