// MBU / MFU accounting: every measured step gets the cost model's FLOPs and minimum bytes, and the
// run gets per-phase (prefill, decode, mixed) utilisation against the datasheet peak and, when a
// calibration exists, the measured ceiling, plus predicted vs measured time.
//   MBU = bytes the step must move / step time / peak bandwidth
//   MFU = FLOPs of the step / step time / peak FLOP/s (the linear layers' tensor peak: int8 for w8a8)
// A phase aggregate above 1.0 against the datasheet marks the run invalid: the byte count or the
// timer is wrong.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics/timeline.h"
#include "common/batch_plan.h"
#include "engine/model/step_program.h"
#include "engine/roofline/calibration.h"
#include "engine/roofline/cost_model.h"
#include "engine/roofline/gpu_spec.h"

namespace rooflm {

struct UtilizationInputs {
  const StepProgram* program = nullptr;  // what every step ran (the backend's effective variant)
  GpuSpec gpu;
  std::optional<Calibration> calibration;
};

struct Utilization {
  nlohmann::json mbu;       // {"prefill": {"datasheet", "calibrated"}, "decode": {...}, "mixed"?}
  nlohmann::json mfu;       // same shape
  nlohmann::json roofline;  // {"gpu", "ceilings", "phases": {phase: {...}}, "valid", "invalid_reasons"}
  bool valid = true;
};

// "prefill" (only prompt tokens), "decode" (only decode tokens) or "mixed".
std::string step_phase(const StepRecord& step);

// Adds "flops", "bytes", "predicted_s", "mbu", "mfu" to each of `steps_json` (same order as
// `steps` / `plans`) and returns the run's utilisation.
Utilization account_utilization(const UtilizationInputs& in, const std::vector<BatchPlan>& plans,
                                const std::vector<StepRecord>& steps, nlohmann::json& steps_json);

}  // namespace rooflm
