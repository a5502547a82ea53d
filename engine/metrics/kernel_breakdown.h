// What a kernel trace (measure.kernel_trace) adds to a run, summed over its steps:
//   kernel_breakdown(): GPU time per (op, kernel): calls, total ms, mean us, share of the traced GPU
//     time. Every traced kernel appears, graph-replayed ones too (with op "" when unattributed).
//   op_roofline(): each op of the cost model as a roofline point: its measured GPU time (the
//     kernels attributed to it), its FLOPs and minimum bytes (cost model), hence its arithmetic
//     intensity, achieved FLOP/s and bytes/s, and its datasheet roofline time. Only steps whose
//     every kernel is attributed count (eager launches; a graph replay has no per-op attribution),
//     so an op's FLOPs and time cover the same steps. A small element-wise op can beat the HBM roof
//     (roofline_fraction > 1) when its inputs are still in L2 from the op before. A kernel launched
//     with programmatic dependent launch (the decode GEMV) starts before its predecessor ends, so its
//     traced time includes that overlap.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics/timeline.h"
#include "engine/metrics/utilization.h"
#include "common/batch_plan.h"

namespace rooflm {

// True when any step carries kernel times.
bool has_kernel_trace(const std::vector<StepRecord>& steps);

// [{"op", "kernel", "calls", "ms", "mean_us", "share"}], largest total first.
nlohmann::json kernel_breakdown(const std::vector<StepRecord>& steps);

// [{"name", "calls", "steps", "measured_ms", "predicted_ms", "flops", "bytes", "arithmetic_intensity",
//   "achieved_flops_per_s", "achieved_bytes_per_s", "bound", "roofline_fraction"}], in launch order;
// roofline_fraction = predicted / measured (1: at the datasheet roofline). Empty without attributed steps.
nlohmann::json op_roofline(const UtilizationInputs& in, const std::vector<BatchPlan>& plans,
                           const std::vector<StepRecord>& steps);

}  // namespace rooflm
