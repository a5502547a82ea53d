// account_utilization(): per-step cost-model counts, per-phase MBU/MFU and predicted vs measured.
#include "engine/metrics/utilization.h"

#include <map>

#include "common/error.h"

namespace rooflm {
namespace {

struct PhaseTotals {
  int64_t steps = 0;
  double flops = 0, bytes = 0, measured_s = 0, predicted_s = 0;
  double compute_bound_s = 0, memory_bound_s = 0;
};

PrecisionDtypes dtypes(const UtilizationInputs& in) { return precision_dtypes(in.program->variant); }

double flops_peak(const UtilizationInputs& in) { return tensor_peak_flops_per_s(in.gpu, dtypes(in).math); }

// The measured GEMM ceiling of the precision's math (fp8: when the calibration measured one).
std::optional<double> flops_ceiling(const UtilizationInputs& in) {
  if (!in.calibration) return std::nullopt;
  switch (dtypes(in).math) {
    case TensorMath::fp16: return in.calibration->fp16_gemm_flops_per_s;
    case TensorMath::int8: return in.calibration->int8_gemm_ops_per_s;
    case TensorMath::fp8:
      return in.calibration->fp8_gemm_flops_per_s > 0 ? std::optional<double>(in.calibration->fp8_gemm_flops_per_s)
                                                      : std::nullopt;
  }
  return std::nullopt;
}

nlohmann::json ratio_pair(double work, double seconds, double peak, std::optional<double> ceiling) {
  if (seconds <= 0) return {{"datasheet", nullptr}, {"calibrated", nullptr}};
  return {{"datasheet", work / seconds / peak},
          {"calibrated", ceiling ? nlohmann::json(work / seconds / *ceiling) : nlohmann::json(nullptr)}};
}

}  // namespace

std::string step_phase(const StepRecord& step) {
  if (step.n_decode_tokens == 0) return "prefill";
  if (step.n_prefill_tokens == 0) return "decode";
  return "mixed";
}

Utilization account_utilization(const UtilizationInputs& in, const std::vector<BatchPlan>& plans,
                                const std::vector<StepRecord>& steps, nlohmann::json& steps_json) {
  ROOFLM_CHECK(plans.size() == steps.size(), "one plan per step");
  std::map<std::string, PhaseTotals> phases;
  const double bw = in.gpu.memory_bandwidth_bytes_per_s, peak = flops_peak(in);
  for (size_t i = 0; i < steps.size(); ++i) {
    const StepCost cost = step_cost(plans[i], *in.program, in.gpu);
    const double t = steps[i].seconds();
    PhaseTotals& p = phases[step_phase(steps[i])];
    ++p.steps;
    p.flops += cost.flops;
    p.bytes += cost.bytes;
    p.measured_s += t;
    p.predicted_s += cost.seconds;
    p.compute_bound_s += cost.compute_bound_seconds;
    p.memory_bound_s += cost.memory_bound_seconds;
    if (steps_json.is_array() && i < steps_json.size()) {
      nlohmann::json& s = steps_json[i];
      s["flops"] = cost.flops;
      s["bytes"] = cost.bytes;
      s["predicted_s"] = cost.seconds;
      s["mbu"] = t > 0 ? nlohmann::json(cost.bytes / t / bw) : nlohmann::json(nullptr);
      s["mfu"] = t > 0 ? nlohmann::json(cost.flops / t / peak) : nlohmann::json(nullptr);
    }
  }

  Utilization u;
  u.mbu = nlohmann::json::object();
  u.mfu = nlohmann::json::object();
  nlohmann::json phase_json = nlohmann::json::object(), reasons = nlohmann::json::array();
  const std::optional<double> bw_ceiling =
      in.calibration ? std::optional<double>(in.calibration->read_bandwidth_bytes_per_s) : std::nullopt;
  const std::optional<double> flops_ceil = flops_ceiling(in);
  for (const auto& [name, p] : phases) {
    u.mbu[name] = ratio_pair(p.bytes, p.measured_s, bw, bw_ceiling);
    u.mfu[name] = ratio_pair(p.flops, p.measured_s, peak, flops_ceil);
    phase_json[name] = {{"steps", p.steps},
                        {"flops", p.flops},
                        {"bytes", p.bytes},
                        {"measured_s", p.measured_s},
                        {"predicted_s", p.predicted_s},
                        // predicted / measured: 1.0 = at the roofline
                        {"efficiency", p.measured_s > 0 ? nlohmann::json(p.predicted_s / p.measured_s) : nlohmann::json(nullptr)},
                        {"bound", p.compute_bound_s > p.memory_bound_s ? "compute" : "memory"},
                        {"arithmetic_intensity", p.bytes > 0 ? p.flops / p.bytes : 0.0}};
    for (const auto* metric : {&u.mbu, &u.mfu}) {
      const auto& v = (*metric)[name]["datasheet"];
      // Rounding slack: a sim step modelled exactly at the datasheet peak measures its time as a
      // difference of virtual-clock sums, which can round a hair above it.
      constexpr double kRoundingSlack = 1e-9;
      if (v.is_number() && v.get<double>() > 1.0 + kRoundingSlack) {
        u.valid = false;
        reasons.push_back(std::string(metric == &u.mbu ? "MBU" : "MFU") + " of the " + name + " phase is " +
                          std::to_string(v.get<double>()) + " > 1 against the datasheet peak");
      }
    }
  }
  nlohmann::json ceilings = {
      {"datasheet", {{"bandwidth_bytes_per_s", bw}, {"flops_per_s", peak}}},
      {"calibrated", in.calibration ? nlohmann::json{{"bandwidth_bytes_per_s", *bw_ceiling},
                                                     {"flops_per_s", flops_ceil ? nlohmann::json(*flops_ceil)
                                                                                : nlohmann::json(nullptr)},
                                                     {"file", in.calibration->file.string()}}
                                    : nlohmann::json(nullptr)}};
  u.roofline = {{"gpu", in.gpu.name},
                {"precision", dtypes(in).to_json()},
                {"kernels", std::string(name(in.program->variant.kernels))},
                {"ceilings", ceilings},
                {"phases", phase_json},
                {"valid", u.valid},
                {"invalid_reasons", reasons}};
  return u;
}

}  // namespace rooflm
