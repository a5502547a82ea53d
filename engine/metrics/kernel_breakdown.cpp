// Kernel-trace summaries of a run (see kernel_breakdown.h).
#include "engine/metrics/kernel_breakdown.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "engine/roofline/cost_model.h"

namespace rooflm {

namespace {

bool fully_attributed(const StepRecord& step) {
  return !step.kernels.empty() &&
         std::all_of(step.kernels.begin(), step.kernels.end(), [](const KernelTime& k) { return !k.op.empty(); });
}

}  // namespace

bool has_kernel_trace(const std::vector<StepRecord>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const StepRecord& s) { return !s.kernels.empty(); });
}

nlohmann::json kernel_breakdown(const std::vector<StepRecord>& steps) {
  std::map<std::pair<std::string, std::string>, KernelTime> by_kernel;
  double total = 0;
  for (const StepRecord& step : steps)
    for (const KernelTime& k : step.kernels) {
      KernelTime& sum = by_kernel[{k.op, k.kernel}];
      sum.op = k.op;
      sum.kernel = k.kernel;
      sum.calls += k.calls;
      sum.seconds += k.seconds;
      total += k.seconds;
    }
  std::vector<KernelTime> rows;
  for (auto& [key, k] : by_kernel) rows.push_back(k);
  std::stable_sort(rows.begin(), rows.end(), [](const KernelTime& a, const KernelTime& b) { return a.seconds > b.seconds; });
  nlohmann::json out = nlohmann::json::array();
  for (const KernelTime& k : rows)
    out.push_back({{"op", k.op},
                   {"kernel", k.kernel},
                   {"calls", k.calls},
                   {"ms", k.seconds * 1e3},
                   {"mean_us", k.calls > 0 ? k.seconds / double(k.calls) * 1e6 : 0.0},
                   {"share", total > 0 ? k.seconds / total : 0.0}});
  return out;
}

nlohmann::json op_roofline(const UtilizationInputs& in, const std::vector<BatchPlan>& plans,
                           const std::vector<StepRecord>& steps) {
  ROOFLM_CHECK(plans.size() == steps.size(), "one plan per step");
  struct OpTotals {
    int64_t calls = 0, steps = 0;
    double measured_s = 0, predicted_s = 0, flops = 0, bytes = 0, compute_s = 0, memory_s = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, OpTotals> ops;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!fully_attributed(steps[i])) continue;
    const StepCost cost = step_cost(plans[i], *in.program, in.gpu);
    for (const OpCost& op : cost.ops) {
      auto [it, fresh] = ops.try_emplace(op.count.name);
      if (fresh) order.push_back(op.count.name);
      OpTotals& t = it->second;
      const double calls = double(op.count.calls);
      t.calls += op.count.calls;
      ++t.steps;
      t.flops += op.count.flops() * calls;
      t.bytes += op.count.bytes * calls;
      t.predicted_s += op.total_seconds();
      t.compute_s += op.compute_seconds * calls;
      t.memory_s += op.memory_seconds * calls;
    }
    for (const KernelTime& k : steps[i].kernels) {
      auto [it, fresh] = ops.try_emplace(k.op);
      if (fresh) order.push_back(k.op);  // a kernel of an op the cost model does not count
      it->second.measured_s += k.seconds;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& name : order) {
    const OpTotals& t = ops.at(name);
    const double measured = t.measured_s;
    out.push_back({{"name", name},
                   {"calls", t.calls},
                   {"steps", t.steps},
                   {"measured_ms", measured * 1e3},
                   {"predicted_ms", t.predicted_s * 1e3},
                   {"flops", t.flops},
                   {"bytes", t.bytes},
                   {"arithmetic_intensity", t.bytes > 0 ? t.flops / t.bytes : 0.0},
                   {"achieved_flops_per_s", measured > 0 ? t.flops / measured : 0.0},
                   {"achieved_bytes_per_s", measured > 0 ? t.bytes / measured : 0.0},
                   {"bound", t.compute_s > t.memory_s ? "compute" : "memory"},
                   {"roofline_fraction", measured > 0 ? t.predicted_s / measured : 0.0}});
  }
  return out;
}

}  // namespace rooflm
