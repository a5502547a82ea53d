// CpuBackend: executes the model family's step program (engine/model/step_program.h) with the
// fp32 reference ops (reference/) on fp16-rounded weights: embedding, RMSNorm, RoPE, causal GQA
// attention through the KvCache view, SwiGLU MLP, final norm, LM head. Slow, simple and correct:
// the oracle for tests, and what CI runs end to end.
// Precisions: fp16 runs as the fp32 reference; int8 (W8A16), w8a8 and fp8 quantise the layers'
// linear weights at load (quantized_weights.h) or take a pre-quantised checkpoint's, and run each
// linear node with the quantised reference of its dtypes (reference/quant_linear.h); a w8a8 / fp8
// node quantises its input as its producer would (per token, or with the static scale of the
// StaticActivationScales table).
// KV cache: fp32, or (kv_cache.dtype int8 / fp8) codes with per-(token, kv head) fp32 scales that
// ref::kv_write quantises and ref::attention dequantises (reference/attention.h).
#pragma once

#include <memory>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/cpu/cpu_all_reduce.h"
#include "common/thread_pool.h"
#include "engine/backend/cpu/quantized_weights.h"
#include "engine/model/static_scales.h"
#include "engine/model/weights.h"

namespace rooflm {

// Which tensor-parallel rank a CpuBackend is (CpuRanksBackend), and where its ranks meet.
struct CpuRankLink {
  std::shared_ptr<CpuAllReduce> all_reduce;  // null: one rank
  int32_t rank = 0;
};

class CpuBackend final : public Backend {
 public:
  // `requested`: the scenario's variant; the cpu backend runs its kernel set's recipe, at its
  // quantised precision or (fp16) in fp32. `static_scales`: the input scales of every linear node
  // when requested.activation_scales is static (InputError naming the op when one is missing).
  // `prequantized`: a quantised precision's layer weights as a pre-quantised checkpoint holds them
  // (load_prequantized_layers for the requested variant; `weights` then lacks them); empty:
  // quantise `weights` at load.
  // `rank`: with requested.tensor_parallel N > 1, this backend is rank `rank.rank` of N
  // (CpuRanksBackend builds them): `config` is the whole model, `weights` the rank's shard
  // (shard_weights.h), and its all_reduce nodes meet the other ranks in `rank.all_reduce`.
  CpuBackend(ModelConfig config, ModelWeights weights, const Variant& requested, int n_threads,
             StaticActivationScales static_scales = {}, std::vector<QuantizedLayer> prequantized = {},
             CpuRankLink rank = {});

  // The variant the cpu backend runs for `requested`: its kernel set and quantised precision
  // (int8, w8a8, fp8 with their scales), else fp32 arithmetic; the requested quantised KV dtype
  // (int8, fp8), else fp32 KV; eager.
  static Variant effective(const Variant& requested);
  Variant effective_variant() const override { return program_.variant; }
  const StepProgram& program() const override { return program_; }
  KvStorage allocate_kv(const KvGeometry& geom) override;
  std::optional<int64_t> kv_memory_budget_bytes() const override { return std::nullopt; }
  void copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) override;
  StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) override;
  // {"cpu_reference_fp32"}, or "cpu_reference_int8" / "_w8a8" / "_fp8" for a quantised precision.
  std::vector<std::string> kernel_names() const override;
  nlohmann::json device_info() const override;

  // The model's shape this backend computes: one rank's shard with tensor parallelism.
  const ModelConfig& config() const { return config_; }
  // Bytes of the quantised layer weights (codes and scales); 0 in fp32.
  int64_t quantized_weight_bytes() const { return quantized_.bytes(); }
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
  void linear(const OpNode& op);
  void lm_head(const OpNode& op, const BatchPlan& plan, bool want_logits, StepOutput& out);

  ModelConfig config_;
  ModelWeights weights_;
  StepProgram program_;
  StaticActivationScales static_scales_;
  QuantizedLayerWeights quantized_;  // the layers' linear weights in a quantised precision
  ThreadPool pool_;
  std::vector<double> rope_inv_freq_;          // [head_dim / 2]
  // The KV pool: fp32 values, or quantised codes (same layout, one byte each) and their scales.
  std::vector<float> k_storage_, v_storage_;  // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
  std::vector<uint8_t> k_codes_, v_codes_;    // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
  std::vector<float> k_scale_, v_scale_;      // [n_layers, num_blocks, block_size, n_kv_heads]
  // This step's metadata and activations (shapes in step_program.h)
  int64_t tokens_ = 0;
  std::vector<int32_t> token_ids_, positions_, seq_rows_;  // [T]
  std::vector<int32_t> q_begin_, kv_len_;                  // [n_seqs + 1], [n_seqs]
  std::vector<float> x_, h_, qkv_, q_, k_, v_, att_, branch_, gate_up_, mlp_act_;
  std::vector<uint8_t> input_codes_;  // [T, in]: a w8a8 / fp8 linear's quantised input
  std::vector<float> input_scales_;   // [T] or [1]
  CpuRankLink rank_;
};

}  // namespace rooflm
