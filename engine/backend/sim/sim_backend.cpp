// SimBackend implementation.
#include "engine/backend/sim/sim_backend.h"

#include <algorithm>

#include "common/error.h"
#include "common/synthetic_init.h"
#include "engine/results/results_reader.h"
#include "engine/roofline/memory_model.h"

namespace rooflm {

SimBackend::SimBackend(const ModelConfig& model, GpuSpec gpu, const Variant& variant, SimEfficiency efficiency)
    : program_(build_step_program(model, variant)), gpu_(std::move(gpu)), efficiency_(std::move(efficiency)) {
  for (const OpNode& op : program_.ops) tensor_peak_flops_per_s(gpu_, op.math);  // fp8 on a GPU without: InputError
}

std::optional<int64_t> SimBackend::kv_memory_budget_bytes() const {
  const Variant& v = program_.variant;
  return std::max<int64_t>(0, gpu_.memory_bytes - model_weight_bytes(program_.shard, precision_dtypes(v)));
}

StepOutput SimBackend::forward(const BatchPlan& plan, const KvView&, bool) {
  const StepCost cost = step_cost(plan, program_, gpu_);
  const int64_t prefill = plan.n_prefill_tokens(), decode = plan.n_decode_tokens();
  const double eff = decode == 0 ? efficiency_.prefill : prefill == 0 ? efficiency_.decode : efficiency_.mixed;
  StepOutput out;
  out.modelled_seconds = cost.seconds / eff;
  out.next_tokens.assign(plan.chunks.size(), -1);
  for (size_t i = 0; i < plan.chunks.size(); ++i) {
    const SeqChunk& ch = plan.chunks[i];
    if (ch.sample)
      out.next_tokens[i] = int32_t(splitmix64(ch.sample_seed ^ uint64_t(ch.end_pos())) % uint64_t(program_.model.vocab));
  }
  return out;
}

std::vector<std::string> SimBackend::kernel_names() const {
  return {"sim_roofline_" + std::string(rooflm::name(program_.variant.kernels))};
}

nlohmann::json SimBackend::device_info() const {
  return {{"gpu", gpu_.display_name + " (simulated)"},
          {"device",
           {{"kind", "sim"},
            {"gpu_spec", gpu_.name},
            {"efficiency", {{"prefill", efficiency_.prefill}, {"decode", efficiency_.decode}, {"mixed", efficiency_.mixed}}},
            {"efficiency_source", efficiency_.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(efficiency_.source)}}}};
}

SimEfficiency sim_efficiency_from_results(const std::string& results_file, const std::string& label) {
  const nlohmann::json doc = read_results(results_file);  // validated: runs[i].roofline.phases.<phase> are objects
  const nlohmann::json& runs = doc.at("runs");
  auto phases_of = [](const nlohmann::json& run) {
    return run.at("roofline").value("phases", nlohmann::json::object());
  };
  size_t chosen = runs.size();
  for (size_t i = 0; i < runs.size(); ++i)
    if (!phases_of(runs[i]).empty() && runs[i].at("variant").at("label") == label) chosen = i;
  for (size_t i = 0; i < runs.size() && chosen == runs.size(); ++i)
    if (!phases_of(runs[i]).empty()) chosen = i;
  if (chosen == runs.size())
    throw InputError("results file '" + results_file + "': no run with roofline phases to calibrate the sim backend from");

  const nlohmann::json phases = phases_of(runs[chosen]);
  auto get = [&](const char* phase, double fallback) {
    const nlohmann::json efficiency = phases.contains(phase) ? phases[phase].value("efficiency", nlohmann::json()) : nlohmann::json();
    if (!efficiency.is_number()) return fallback;
    const double v = efficiency.get<double>();
    if (!(v > 0))
      throw InputError("results file '" + results_file + "': runs[" + std::to_string(chosen) + "].roofline.phases." +
                       phase + ".efficiency is " + efficiency.dump() + ", must be > 0");
    return v;
  };
  SimEfficiency e;
  e.prefill = get("prefill", 1.0);
  e.decode = get("decode", 1.0);
  e.mixed = get("mixed", 0.5 * (e.prefill + e.decode));
  e.source = results_file + " (" + runs[chosen].at("variant").at("label").get<std::string>() + ")";
  return e;
}

}  // namespace rooflm
