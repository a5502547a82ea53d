// CpuBackend: executes the model family's step program (engine/model/step_program.h) with the
// fp32 reference ops (reference/) on fp16-rounded weights: embedding, RMSNorm, RoPE, causal GQA
// attention through the KvCache view, SwiGLU MLP, final norm, LM head. Slow, simple and correct:
// the oracle for tests, and what CI runs end to end.
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
  // The step in flight's buffer of `a` (step_tokens() rows; layouts in step_program.h), for an
  // OpObserver that reads activations between ops (SmoothQuant calibration, tests): at op_begin of
  // a node it holds the node's input.
  const float* activation(Act a) { return act(a); }
  int64_t step_tokens() const { return tokens_; }

 private:
  const float* param(const ParamSlice& slice, int32_t layer) const;
  float* act(Act a);
  void prepare_step(const BatchPlan& plan);
  void attention(const OpNode& op, const KvView& kv);
  void lm_head(const OpNode& op, const BatchPlan& plan, bool want_logits, StepOutput& out);

  ModelConfig config_;
  ModelWeights weights_;
  StepProgram program_;
  ThreadPool pool_;
  std::vector<double> rope_inv_freq_;          // [head_dim / 2]
  std::vector<float> k_storage_, v_storage_;  // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
  // This step's metadata and activations (shapes in step_program.h)
  int64_t tokens_ = 0;
  std::vector<int32_t> token_ids_, positions_, seq_rows_;  // [T]
  std::vector<int32_t> q_begin_, kv_len_;                  // [n_seqs + 1], [n_seqs]
  std::vector<float> x_, h_, qkv_, q_, k_, v_, att_, branch_, gate_up_, mlp_act_;
};

}  // namespace rooflm
