// Step programs for tests: the family recipe of a model for one kernel set and precision, as the
// sim backend would run it.
#pragma once

#include "engine/model/step_program.h"

namespace rooflm::test {

inline StepProgram program_for(const ModelConfig& model, KernelSet kernels = KernelSet::fused,
                               Precision precision = Precision::fp16, DType kv_dtype = DType::f16) {
  Variant v;
  v.backend = BackendKind::sim;
  v.kernels = kernels;
  v.precision = precision;
  v.kv_dtype = kv_dtype;
  return build_step_program(model, v);
}

}  // namespace rooflm::test
