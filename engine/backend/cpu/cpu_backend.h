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
  CpuBackend(ModelConfig config, ModelWeights weights, int n_threads);

  std::string name() const override { return "cpu"; }
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
  ThreadPool pool_;
  std::vector<double> rope_inv_freq_;          // [head_dim / 2]
  std::vector<float> k_storage_, v_storage_;  // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
};

}  // namespace rooflm
