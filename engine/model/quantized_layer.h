// QuantizedLayer: one transformer layer's linear weights in a quantised precision, in the packed
// layout of weights.h (wqkv = q_proj; k_proj; v_proj rows, w_gate_up = gate_proj; up_proj rows).
// What the cpu backend quantises at load (engine/backend/cpu/quantized_weights.h) and what a
// pre-quantised checkpoint loads into (prequantized_weights.h); codes and scales as reference/quant.h.
#pragma once

#include "reference/quant.h"

namespace rooflm {

struct QuantizedLayer {
  ref::QuantizedWeight wqkv;       // [q_dim + 2*kv_dim, hidden]
  ref::QuantizedWeight wo;         // [hidden, q_dim]
  ref::QuantizedWeight w_gate_up;  // [2*ffn, hidden]
  ref::QuantizedWeight w_down;     // [hidden, ffn]
};

}  // namespace rooflm
