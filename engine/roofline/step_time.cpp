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

std::string_view bound_name(Bound bound) {
  switch (bound) {
    case Bound::compute: return "compute";
    case Bound::memory: return "memory";
    case Bound::interconnect: return "interconnect";
  }
  return "?";
}

namespace {

// An all-reduce's link time on the GPU's interconnect: the faster of a ring and a one-shot
// (cost_model.h's counting rules).
void time_all_reduce(const OpCount& count, const GpuSpec& gpu, OpCost& cost) {
  if (count.all_reduce_ranks < 2) return;
  if (!gpu.interconnect)
    throw InputError("op " + count.name + " is an all-reduce across tensor-parallel ranks, but GPU " + gpu.name + " (" +
                     gpu.display_name + ") has no interconnect in its spec (engine/roofline/gpus/" + gpu.name +
                     ".json: interconnect.bandwidth_bytes_per_s, latency_s)");
  const double N = count.all_reduce_ranks, P = count.all_reduce_bytes;
  const double bw = gpu.interconnect->bandwidth_bytes_per_s, step = gpu.interconnect->latency_s;
  const double ring_bytes = 2 * (N - 1) / N * P, one_shot_bytes = (N - 1) * P;
  const double ring = ring_bytes / bw + 2 * (N - 1) * step, one_shot = one_shot_bytes / bw + step;
  const bool use_ring = ring < one_shot;
  cost.link_seconds = use_ring ? ring : one_shot;
  cost.link_bytes = use_ring ? ring_bytes : one_shot_bytes;
  cost.all_reduce_algorithm = use_ring ? "ring" : "one_shot";
}

}  // namespace

StepCost time_step(const std::vector<OpCount>& ops, const GpuSpec& gpu) {
  StepCost step;
  for (const OpCount& count : ops) {
    OpCost cost{.count = count};
    cost.compute_seconds =
        (count.tensor_flops > 0 ? count.tensor_flops / tensor_peak_flops_per_s(gpu, count.tensor_math) : 0) +
        count.vector_flops / gpu.fp32_flops_per_s;
    cost.memory_seconds = count.bytes / gpu.memory_bandwidth_bytes_per_s;
    time_all_reduce(count, gpu, cost);
    cost.bound = cost.compute_seconds > cost.memory_seconds ? Bound::compute : Bound::memory;
    if (cost.link_seconds > std::max(cost.compute_seconds, cost.memory_seconds)) cost.bound = Bound::interconnect;
    cost.seconds = std::max({cost.compute_seconds, cost.memory_seconds, cost.link_seconds});

    const double calls = double(count.calls);
    step.flops += count.flops() * calls;
    step.bytes += count.bytes * calls;
    step.seconds += cost.total_seconds();
    (cost.bound == Bound::compute  ? step.compute_bound_seconds
     : cost.bound == Bound::memory ? step.memory_bound_seconds
                                   : step.interconnect_bound_seconds) += cost.total_seconds();
    step.ops.push_back(std::move(cost));
  }
  step.bound = step.compute_bound_seconds > step.memory_bound_seconds ? Bound::compute : Bound::memory;
  if (step.interconnect_bound_seconds > std::max(step.compute_bound_seconds, step.memory_bound_seconds))
    step.bound = Bound::interconnect;
  return step;
}

StepCost step_cost(const BatchPlan& plan, const StepProgram& program, const GpuSpec& gpu) {
  return time_step(count_step_ops(plan, program), gpu);
}

nlohmann::json OpCost::to_json() const {
  const double calls = double(count.calls);
  nlohmann::json json = {{"name", count.name},
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
  if (count.all_reduce_ranks > 1) {  // an all-reduce: what crosses the GPU link (absent elsewhere)
    json["link_bytes"] = link_bytes * calls;
    json["link_seconds"] = link_seconds * calls;
    json["all_reduce_algorithm"] = all_reduce_algorithm;
  }
  return json;
}

nlohmann::json StepCost::to_json() const {
  nlohmann::json op_list = nlohmann::json::array();
  for (const OpCost& op : ops) op_list.push_back(op.to_json());
  nlohmann::json json = {{"seconds", seconds},
          {"flops", flops},
          {"bytes", bytes},
          {"arithmetic_intensity", arithmetic_intensity()},
          {"bound", bound_name(bound)},
          {"compute_bound_seconds", compute_bound_seconds},
          {"memory_bound_seconds", memory_bound_seconds},
          {"ops", op_list}};
  if (interconnect_bound_seconds > 0) json["interconnect_bound_seconds"] = interconnect_bound_seconds;
  return json;
}

}  // namespace rooflm
