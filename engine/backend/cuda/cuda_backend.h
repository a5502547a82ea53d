// CudaBackend: the real engine. Launches, for every node of the model family's step program
// (engine/model/step_program.h), the kernels the registry (kernels/registry.h) selects for the
// node's shapes and dtypes: fp16 storage with fp32 accumulation (fp32 residual stream), or the
// quantised linears of int8 / w8a8 / fp8 (weights as codes + scales in DeviceWeights; a quantised
// GEMM input lives in xq_ / xs_ from its producer to its consumers); decode steps optionally
// replayed as CUDA graphs (`launch`). Which ops run (fused vs naive) is the recipe's choice, never
// this file's.
#pragma once

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/cuda/device_buffer.h"
#include "engine/backend/cuda/device_weights.h"
#include "engine/backend/cuda/kernel_trace.h"
#include "engine/model/static_scales.h"
#include "engine/scenario/scenario.h"
#include "kernels/attention/attention.h"
#include "kernels/gemm/gemm_cublaslt.h"
#include "kernels/registry.h"

namespace rooflm {

class CudaBackend final : public Backend {
 public:
  CudaBackend(ModelConfig config, const Scenario& scenario);
  ~CudaBackend() override;

  // The variant the cuda backend runs for `requested`: as asked (the registry refuses what it has
  // no kernel for when the backend is built).
  static Variant effective(const Variant& requested);
  Variant effective_variant() const override { return program_.variant; }
  const StepProgram& program() const override { return program_; }
  KvStorage allocate_kv(const KvGeometry& geom) override;
  std::optional<int64_t> kv_memory_budget_bytes() const override;
  void copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) override;
  StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) override;
  std::vector<std::string> kernel_names() const override { return registry_.used(); }
  nlohmann::json device_info() const override;
  std::string kernel_trace_status() const override;
  void set_profiler_capture(bool on) override;

 private:
  // What one step's kernels need to know (host values baked into launches).
  struct StepShape {
    int64_t n_tokens = 0, n_seqs = 0, n_sampled = 0;
    bool greedy = true;
    attn::AttnBatch batch;
    attn::KvDeviceView kv;
    attn::KvWriteTokens writes;
    KernelChoice attention;  // chosen (and its scratch sized) before any launch or capture
  };

  KernelQuery node_query(const OpNode& op, int64_t n_tokens) const;
  void require_kernels_for_program() const;
  void ensure_capacity(int64_t tokens, int64_t seqs, int64_t table_entries);
  void enqueue_step(const StepShape& s);
  void execute(const OpNode& op, const StepShape& s);
  void attention(const OpNode& op, const StepShape& s);
  void lm_head(const OpNode& op, const StepShape& s);
  void linear_silu_mul(const OpNode& op, const StepShape& s);
  void launch(const KernelQuery& query, const KernelArgs& args) {
    registry_.launch(select_kernel(query), query, args, stream_);
  }
  KernelChoice choose_attention(const StepShape& s);
  KernelQuery attention_query(const StepShape& s) const;
  void* act(Act a, int64_t n_tokens) const;
  // The quantised rows a node writes for the next GEMM (its output dtype int8 / fp8).
  QuantizedRows quantized_output(const OpNode& op) const;
  // The node's rows of a quantised projection.
  QuantWeightDevice quant_param(const ParamSlice& slice, int32_t layer) const;
  // Static activation scales: each producer of a quantised GEMM input gets its consumers' scale.
  void set_static_scales(const StaticActivationScales& scales);
  const __half* param(const ParamSlice& slice, int32_t layer, int64_t cols) const;
  void drop_graphs();
  void launch_graph(const StepShape& s);

  ModelConfig c_;
  StepProgram program_;
  PrecisionDtypes dtypes_;
  std::vector<float> static_scale_of_node_;  // [ops]: > 0 for a producer quantising with a static scale
  bool graphs_;
  // The attention nodes' traits. Attention with scores in HBM (naive) sizes its cuBLAS calls from
  // host-side context lengths, so a graph of its step cannot be replayed for the next one.
  bool scores_in_hbm_ = false;
  int32_t window_ = 0;
  int64_t activation_headroom_bytes_ = 0;  // kept free of the KV pool: activations, scratch, workspaces
  std::unique_ptr<DeviceWeights> w_;
  DeviceBuffer inv_freq_;  // [head_dim / 2] fp32: the program's RoPE table
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ev_start_ = nullptr, ev_end_ = nullptr;
  std::unique_ptr<GemmCublasLt> gemm_;
  cublasHandle_t cublas_ = nullptr;
  DeviceBuffer cublas_workspace_;
  KernelRegistry registry_;

  // Activations, sized for cap_tokens_ / cap_seqs_.
  int64_t cap_tokens_ = 0, cap_seqs_ = 0, cap_table_ = 0;
  DeviceBuffer x_, h_, qkv_, q_, att_, delta_, gu_, act_, hs_, logits_, next_tokens_;
  // W8A8 / FP8: the one quantised GEMM input alive at a time (codes [T, max(hidden, q_dim, ffn)],
  // scales [T]) and the GEMMs' int32 / fp32 accumulator [T, widest projection].
  DeviceBuffer xq_, xs_, acc_;
  DeviceBuffer meta_, rows_, attn_scratch_, sample_scratch_;
  PinnedBuffer meta_host_, rows_host_, tokens_host_;
  // Offsets (in int32 elements) of the per-step metadata inside meta_.
  int64_t off_tokens_ = 0, off_pos_ = 0, off_row_ = 0, off_qbegin_ = 0, off_kvlen_ = 0, off_sample_ = 0, off_table_ = 0;
  std::vector<int32_t> q_begin_host_, kv_len_host_;

  DeviceBuffer kv_k_, kv_v_;              // values (fp16) or codes (int8 / fp8)
  DeviceBuffer kv_k_scale_, kv_v_scale_;  // quantised: fp32 per (token, kv head)
  int64_t kv_capacity_tokens_ = 0;  // per sequence: block_size * max_blocks (graph-mode max_kv_len)

  std::map<std::tuple<int64_t, bool>, cudaGraphExec_t> graphs_by_shape_;  // (n_seqs, greedy) -> decode graph
  std::unique_ptr<KernelTrace> trace_;  // measure.kernel_trace
  std::string trace_status_;
};

}  // namespace rooflm
