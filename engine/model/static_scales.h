// StaticActivationScales: the per-tensor activation scales that engine.activation_scales "static"
// quantises the w8a8 / fp8 GEMM inputs with, one fp32 scale per (layer, linear op) of the step
// program (keyed by the node's layer and name: "qkv_proj" of layer 3). A calibration run produces
// them (issue 12 part 2: the scales file); the cpu backend takes the table at construction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "engine/model/step_program.h"

namespace rooflm {

struct StaticActivationScales {
  std::map<std::pair<int32_t, std::string>, float> by_op;  // (layer, op name) -> scale > 0

  void set(int32_t layer, const std::string& op, float scale) { by_op[{layer, op}] = scale; }
  // The scale of `op`'s input. Throws InputError naming the op when the table has none, or when it
  // is not finite and > 0.
  float of(const OpNode& op) const;
};

}  // namespace rooflm
