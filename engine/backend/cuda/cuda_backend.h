// CudaBackend: the real engine. The same forward pass as the CPU reference, on the GPU, fp16
// storage with fp32 accumulation (fp32 residual stream), every kernel chosen by the registry for
// the `kernels` axis (naive | fused), decode steps optionally replayed as CUDA graphs (`launch`).
#pragma once

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/cuda/device_buffer.h"
#include "engine/backend/cuda/kernel_trace.h"
#include "engine/backend/cuda/device_weights.h"
#include "engine/roofline/precision.h"
#include "kernels/attention/attention.h"
#include "kernels/gemm/gemm_cublaslt.h"

namespace rooflm {

class CudaBackend final : public Backend {
 public:
  CudaBackend(ModelConfig config, const Scenario& scenario);
  ~CudaBackend() override;

  std::string name() const override { return "cuda"; }
  KvStorage allocate_kv(const KvGeometry& geom) override;
  std::optional<int64_t> kv_memory_budget_bytes() const override;
  void copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) override;
  StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) override;
  std::vector<std::string> kernel_names() const override;
  nlohmann::json device_info() const override;
  std::string kernel_trace_status() const override;

 private:
  // What one step's kernels need to know (host values baked into launches).
  struct StepShape {
    int64_t n_tokens = 0, n_seqs = 0, n_sampled = 0;
    bool greedy = true;
    attn::AttnBatch batch;
    attn::KvDeviceView kv;
    attn::KvWriteTokens writes;
    attn::AttnKernel attn_kernel = attn::AttnKernel::naive;
  };

  void ensure_capacity(int64_t tokens, int64_t seqs, int64_t table_entries);
  void enqueue_step(const StepShape& s);
  void linear(const __half* x, const __half* w, __half* y, int64_t n, int64_t in, int64_t out);
  attn::AttnKernel choose_attention(const StepShape& s);
  void attention(const __half* q, __half* out, const StepShape& s, int64_t layer);
  void drop_graphs();
  void sample(const StepShape& s);
  void launch_graph(const StepShape& s);
  // Records a launched kernel's name; allocation-free once the name is known (hot path).
  void note(std::string_view kernel) {
    if (used_.find(kernel) == used_.end()) used_.emplace(kernel);
  }

  ModelConfig c_;
  KernelSet set_;
  bool graphs_;
  int64_t activation_headroom_bytes_ = 0;  // kept free of the KV pool: activations, scratch, workspaces
  std::unique_ptr<DeviceWeights> w_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ev_start_ = nullptr, ev_end_ = nullptr;
  std::unique_ptr<GemmCublasLt> gemm_;
  cublasHandle_t cublas_ = nullptr;
  DeviceBuffer cublas_workspace_;
  DeviceBuffer rope_inv_freq_;  // [head_dim / 2] fp32

  // Activations, sized for cap_tokens_ / cap_seqs_.
  int64_t cap_tokens_ = 0, cap_seqs_ = 0, cap_table_ = 0;
  DeviceBuffer x_, h_, qkv_, q_, att_, delta_, gu_, act_, hs_, logits_, next_tokens_;
  DeviceBuffer meta_, rows_, attn_scratch_, sample_scratch_;
  PinnedBuffer meta_host_, rows_host_, tokens_host_;
  // Offsets (in int32 elements) of the per-step metadata inside meta_.
  int64_t off_tokens_ = 0, off_pos_ = 0, off_row_ = 0, off_qbegin_ = 0, off_kvlen_ = 0, off_sample_ = 0, off_table_ = 0;
  std::vector<int32_t> q_begin_host_, kv_len_host_;

  DeviceBuffer kv_k_, kv_v_;
  int64_t kv_capacity_tokens_ = 0;  // per sequence: block_size * max_blocks (graph-mode max_kv_len)

  std::map<std::tuple<int64_t, bool>, cudaGraphExec_t> graphs_by_shape_;  // (n_seqs, greedy) -> decode graph
  std::set<std::string, std::less<>> used_;
  std::unique_ptr<KernelTrace> trace_;  // measure.kernel_trace
  std::string trace_status_;
};

}  // namespace rooflm
