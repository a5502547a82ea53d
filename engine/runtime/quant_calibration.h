// SmoothQuant calibration (`rooflm calibrate-quant`): the scenario's model runs on the cpu backend
// at its reference precision (fp32 on fp16-rounded weights; the engine.kernels recipe, whose op
// names the file uses) over quant.calibration.sequences seeded random sequences of
// quant.calibration.tokens tokens, one prefill each. An OpObserver reads every linear node's input
// activation at op_begin and keeps its per-channel absmax; with the weights' per-input-channel
// absmax (over every weight that reads the input) that gives the smoothing factors of
// engine/model/smoothing.h for quant.alpha, and per-tensor static activation scales of the
// smoothed inputs (engine/model/quant_scales.h, the file's format).
// Unit tests: tests/unit/quant_calibration_test.cpp; the command: tests/e2e/calibrate_quant_e2e_test.cpp.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/model/quant_scales.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

// Per-channel max |x| of every linear node's input over every step it sees, keyed (layer, op name).
class LinearInputAbsmax final : public OpObserver {
 public:
  explicit LinearInputAbsmax(CpuBackend& backend) : backend_(backend) {}
  void op_begin(const OpNode& op) override;
  void op_end(const OpNode&) override {}
  const std::map<std::pair<int32_t, std::string>, std::vector<float>>& absmax() const { return absmax_; }

 private:
  CpuBackend& backend_;
  std::map<std::pair<int32_t, std::string>, std::vector<float>> absmax_;  // [in_features] each
};

// Runs the calibration of `scenario` (its model, engine.kernels, quant.alpha and quant.calibration).
// Throws InputError when quant.calibration.tokens exceeds the model's max_positions or the model
// does not fit in host memory; Interrupted on SIGINT / SIGTERM.
QuantScales calibrate_quant(const Scenario& scenario);

}  // namespace rooflm
