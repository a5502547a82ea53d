// Kernel trace for measure.kernel_trace: CUPTI activity records of every kernel the process runs,
// each attributed to the op that launched it. The backend wraps each op in an OpRange (a CUPTI
// external correlation id; the op's NVTX range is run_step_program's); after a step's synchronize,
// collect() returns the step's kernels summed per (op, kernel name).
//
// libcupti is opened with dlopen when a trace starts, so rooflm runs where CUPTI is missing.
// CUPTI allows one subscriber per process: under ncu or nsys start() fails with the reason
// (e.g. CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) and the run goes on untraced.
// Kernels replayed from a CUDA graph carry the graph launch's correlation, not an op's: they are
// traced with op "".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel_time.h"

namespace rooflm {

class KernelTrace {
 public:
  // The process's one trace, started; nullptr with `why_not` set when CUPTI cannot trace.
  static std::unique_ptr<KernelTrace> start(std::string& why_not);
  ~KernelTrace();  // disables the activity kinds; records still buffered are dropped
  KernelTrace(const KernelTrace&) = delete;
  KernelTrace& operator=(const KernelTrace&) = delete;

  // Launches on this thread between push_op and pop_op belong to `op` (nestable, innermost wins).
  void push_op(std::string_view op);
  void pop_op();

  // Kernels completed since the last call, summed per (op, kernel), after the caller synchronized.
  std::vector<KernelTime> collect();

 private:
  KernelTrace() = default;
  std::vector<std::string> op_names_;  // external correlation id - 1 -> op name
};

// RAII op scope: the trace's op attribution when `trace` is not null and the stream is not being
// captured into a graph.
class OpRange {
 public:
  OpRange(KernelTrace* trace, const char* op);
  ~OpRange();
  OpRange(const OpRange&) = delete;
  OpRange& operator=(const OpRange&) = delete;

 private:
  KernelTrace* trace_;
};

}  // namespace rooflm
