// SimBackend: no model math. Each step "takes" the cost model's roofline time for its BatchPlan on
// a GPU spec, divided by a per-phase efficiency (1.0 by default, or predicted/measured ratios read
// from a measured results file), on the engine's virtual clock. Tokens are pseudo-random and
// deterministic, so the same scenario gives the same results on any machine.
#pragma once

#include <string>

#include "engine/backend/backend.h"
#include "engine/model/model_config.h"
#include "engine/roofline/cost_model.h"
#include "engine/roofline/gpu_spec.h"

namespace rooflm {

struct SimEfficiency {
  double prefill = 1.0, decode = 1.0, mixed = 1.0;  // predicted / measured time per phase
  std::string source;                               // results file it came from, or empty
};

class SimBackend final : public Backend {
 public:
  // `variant`: the requested one (the sim backend models any kernel set, precision and KV dtype).
  SimBackend(const ModelConfig& model, GpuSpec gpu, const Variant& variant, SimEfficiency efficiency);

  Variant effective_variant() const override { return program_.variant; }
  const StepProgram& program() const override { return program_; }
  KvStorage allocate_kv(const KvGeometry&) override { return {}; }
  std::optional<int64_t> kv_memory_budget_bytes() const override;
  void copy_kv_blocks(const KvGeometry&, std::span<const KvBlockCopy>) override {}  // no storage to copy
  StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) override;
  std::vector<std::string> kernel_names() const override;
  nlohmann::json device_info() const override;

 private:
  StepProgram program_;
  GpuSpec gpu_;
  SimEfficiency efficiency_;
};

// Per-phase efficiencies from a measured results.json: the run whose variant label is `label`
// (e.g. "kernels=fused launch=graph"), else the first run whose roofline has phases. Throws
// InputError naming the file when it has none.
SimEfficiency sim_efficiency_from_results(const std::string& results_file, const std::string& label);

}  // namespace rooflm
