// CpuBackend: the fp32 reference forward pass (embedding, RMSNorm, RoPE, causal GQA attention
// through the KvCache view, SwiGLU MLP, final norm, LM head) on fp16-rounded weights. Slow, simple
// and correct: the oracle for tests, and what CI runs end to end.
#pragma once

#include <memory>
#include <vector>

#include "engine/backend/backend.h"
#include "common/thread_pool.h"
#include "engine/model/weights.h"

namespace rooflm {

class CpuBackend final : public Backend {
 public:
  // `requested`: the scenario's variant; the cpu backend runs its kernel set's recipe in fp32.
  CpuBackend(ModelConfig config, ModelWeights weights, const Variant& requested, int n_threads);

  // The variant the cpu backend runs for `requested`: its kernel set, fp32 arithmetic, fp32 KV, eager.
  static Variant effective(const Variant& requested);
  Variant effective_variant() const override { return program_.variant; }
  const StepProgram& program() const override { return program_; }
  KvStorage allocate_kv(const KvGeometry& geom) override;
  std::optional<int64_t> kv_memory_budget_bytes() const override { return std::nullopt; }
  void copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) override;
  StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) override;
  std::vector<std::string> kernel_names() const override { return {"cpu_reference_fp32"}; }
  nlohmann::json device_info() const override;

  const ModelConfig& config() const { return config_; }

 private:
  ModelConfig config_;
  ModelWeights weights_;
  StepProgram program_;
  ThreadPool pool_;
  std::vector<float> k_storage_, v_storage_;  // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
};

}  // namespace rooflm
