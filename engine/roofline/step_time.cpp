// Roofline time of each op of a step on one GPU, the step's totals, and their JSON form.
#include "engine/roofline/cost_model.h"

#include <algorithm>

#include "common/error.h"

namespace rooflm {

double tensor_peak_flops_per_s(const GpuSpec& gpu, TensorMath math) {
  switch (math) {
    case TensorMath::fp16: return gpu.fp16_tensor_flops_per_s;
    case TensorMath::int8: return gpu.int8_tensor_ops_per_s;
    case TensorMath::fp8:
      if (!gpu.fp8_tensor_flops_per_s)
        throw InputError("engine.precision \"fp8\": GPU " + gpu.name + " (" + gpu.display_name +
                         ") has no fp8 tensor peak in its spec (fp8_tensor_flops_per_s; FP8 tensor cores came with "
                         "Hopper and Ada)");
      return *gpu.fp8_tensor_flops_per_s;
  }
  return 0;
}

std::string_view bound_name(Bound bound) { return bound == Bound::compute ? "compute" : "memory"; }

StepCost time_step(const std::vector<OpCount>& ops, const GpuSpec& gpu) {
  StepCost step;
  for (const OpCount& count : ops) {
    OpCost cost{.count = count};
    cost.compute_seconds =
        (count.tensor_flops > 0 ? count.tensor_flops / tensor_peak_flops_per_s(gpu, count.tensor_math) : 0) +
        count.vector_flops / gpu.fp32_flops_per_s;
    cost.memory_seconds = count.bytes / gpu.memory_bandwidth_bytes_per_s;
    cost.bound = cost.compute_seconds > cost.memory_seconds ? Bound::compute : Bound::memory;
    cost.seconds = std::max(cost.compute_seconds, cost.memory_seconds);

    const double calls = double(count.calls);
    step.flops += count.flops() * calls;
    step.bytes += count.bytes * calls;
    step.seconds += cost.total_seconds();
    (cost.bound == Bound::compute ? step.compute_bound_seconds : step.memory_bound_seconds) += cost.total_seconds();
    step.ops.push_back(std::move(cost));
  }
  step.bound = step.compute_bound_seconds > step.memory_bound_seconds ? Bound::compute : Bound::memory;
  return step;
}

StepCost step_cost(const BatchPlan& plan, const StepProgram& program, const GpuSpec& gpu) {
  return time_step(count_step_ops(plan, program), gpu);
}

nlohmann::json OpCost::to_json() const {
  const double calls = double(count.calls);
  return {{"name", count.name},
          {"calls", count.calls},
          {"flops", count.flops() * calls},
          {"tensor_flops", count.tensor_flops * calls},
          {"tensor_math", tensor_math_name(count.tensor_math)},
          {"vector_flops", count.vector_flops * calls},
          {"bytes", count.bytes * calls},
          {"arithmetic_intensity", count.arithmetic_intensity()},
          {"seconds", total_seconds()},
          {"seconds_per_call", seconds},
          {"bound", bound_name(bound)}};
}

nlohmann::json StepCost::to_json() const {
  nlohmann::json op_list = nlohmann::json::array();
  for (const OpCost& op : ops) op_list.push_back(op.to_json());
  return {{"seconds", seconds},
          {"flops", flops},
          {"bytes", bytes},
          {"arithmetic_intensity", arithmetic_intensity()},
          {"bound", bound_name(bound)},
          {"compute_bound_seconds", compute_bound_seconds},
          {"memory_bound_seconds", memory_bound_seconds},
          {"ops", op_list}};
}

}  // namespace rooflm
