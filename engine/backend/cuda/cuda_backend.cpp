// CudaBackend forward pass. One step = metadata upload (one H2D copy from pinned memory), the
// layers' kernels on one stream (or a CUDA graph replay for decode steps), sampling on the GPU, one
// D2H copy of the sampled tokens, one synchronize. Kernel choice per op comes from select_kernel().
//
// fused:  [l == 0: rmsnorm | add_rmsnorm(x += delta)] -> QKV GEMM -> rope_qkv_kv_write (RoPE on q and
//         k, k/v into the cache, q out contiguous) -> flash prefill / split-K decode -> O GEMM ->
//         add_rmsnorm -> gate_up GEMM -> silu_mul -> down GEMM; final add_rmsnorm; LM head.
// naive:  [residual_add] -> rmsnorm -> Q, K, V GEMMs -> rope -> kv_write -> naive attention (S in HBM)
//         -> O GEMM -> residual_add -> rmsnorm -> gate GEMM, up GEMM -> silu -> mul -> down GEMM.
#include "engine/backend/cuda/cuda_backend.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/rope_table.h"
#include "kernels/activation/activation_f16.h"
#include "kernels/common/device_info.h"
#include "kernels/common/gather_rows.h"
#include "kernels/embedding/embedding_gather_f16.h"
#include "kernels/gemv/gemv_f16.h"
#include "kernels/norm/rmsnorm_f16.h"
#include "kernels/registry.h"
#include "kernels/rope/rope_f16.h"
#include "kernels/sampling/argmax_f16.h"
#include "kernels/sampling/sample_f16.h"

namespace rooflm {
namespace {

// Device memory the forward pass allocates besides weights and KV, for steps of up to
// `tokens` tokens and `seqs` sequences: the activation buffers of ensure_capacity(), the sampling
// buffers, and a fixed allowance for attention scratch, cuBLASLt and graph memory. Steps larger
// than this (a static batch's whole prefill) live in what kv_cache.memory_fraction leaves free.
int64_t activation_headroom_bytes(const ModelConfig& c, int64_t tokens, int64_t seqs) {
  const int64_t H = c.hidden, F = c.ffn, QD = c.q_dim(), KD = c.kv_dim();
  // x fp32; h, qkv, q, att, delta, gate_up, act fp16; tokens/positions/rows int32
  const int64_t per_token = 4 * H + 2 * (H + QD + 2 * KD + QD + QD + H + 2 * F + F) + 12;
  const int64_t per_seq = 2 * H + 2 * c.vocab + 64 + int64_t(sample_f16_scratch_bytes(1, c.vocab));
  return tokens * per_token + seqs * per_seq + (int64_t(256) << 20);
}

}  // namespace

CudaBackend::CudaBackend(ModelConfig config, const Scenario& scenario)
    : c_(std::move(config)),
      set_(parse_kernel_set(scenario.engine.kernels)),
      graphs_(scenario.engine.launch == "graph"),
      activation_headroom_bytes_(activation_headroom_bytes(
          c_, std::max(scenario.engine.batching.max_batched_tokens, scenario.engine.batching.max_batch),
          scenario.engine.batching.max_batch)) {
  if (scenario.engine.precision != "fp16")
    throw InputError("engine.precision \"" + scenario.engine.precision + "\" is not implemented by the cuda backend yet (have: fp16)");
  if (!rmsnorm_f16_supported(c_.hidden) || !rope_f16_supported(c_.head_dim) || !activation_f16_supported(c_.ffn))
    throw InputError("model " + c_.name + ": the cuda kernels need hidden and ffn multiples of 8 and head_dim a multiple of 16");
  w_ = std::make_unique<DeviceWeights>(c_, scenario.model);
  {  // the RoPE inverse-frequency table (rope scaling included), uploaded once as fp32
    const std::vector<double> table = rope_inv_freq(c_.head_dim, c_.rope_theta, c_.rope_scaling);
    const std::vector<float> table_f(table.begin(), table.end());
    rope_inv_freq_.reserve(table_f.size() * sizeof(float));
    ROOFLM_CUDA_CHECK(cudaMemcpy(rope_inv_freq_.as<void>(), table_f.data(), table_f.size() * sizeof(float),
                                 cudaMemcpyHostToDevice));
  }
  ROOFLM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  ROOFLM_CUDA_CHECK(cudaEventCreate(&ev_start_));
  ROOFLM_CUDA_CHECK(cudaEventCreate(&ev_end_));
  gemm_ = std::make_unique<GemmCublasLt>();
  ROOFLM_CUBLAS_CHECK(cublasCreate(&cublas_));
  ROOFLM_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  cublas_workspace_.reserve(size_t(32) << 20);  // explicit workspace: cuBLAS then allocates nothing (graph capture)
  ROOFLM_CUBLAS_CHECK(cublasSetWorkspace(cublas_, cublas_workspace_.as<void>(), cublas_workspace_.bytes()));
  if (scenario.measure.kernel_trace) {
    trace_ = KernelTrace::start(trace_status_);
    if (trace_) trace_status_ = "traced";
  }
}

CudaBackend::~CudaBackend() {
  trace_.reset();
  drop_graphs();
  if (cublas_) cublasDestroy(cublas_);
  gemm_.reset();
  if (ev_start_) cudaEventDestroy(ev_start_);
  if (ev_end_) cudaEventDestroy(ev_end_);
  if (stream_) cudaStreamDestroy(stream_);
}

KvStorage CudaBackend::allocate_kv(const KvGeometry& geom) {
  ROOFLM_CHECK(geom.dtype == DType::f16, "the cuda backend stores KV in fp16");
  const size_t half_bytes = size_t(geom.total_bytes() / 2);
  size_t free_bytes = 0, total_bytes = 0;
  ROOFLM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (geom.total_bytes() > int64_t(free_bytes))
    throw InputError("the KV cache needs " + std::to_string(geom.total_bytes()) + " bytes (" +
                     std::to_string(geom.num_blocks) + " blocks of " + std::to_string(geom.block_size) +
                     " tokens) but only " + std::to_string(free_bytes) + " bytes are free on the GPU after " +
                     std::to_string(w_->bytes()) + " bytes of weights");
  kv_k_.reserve(half_bytes);
  kv_v_.reserve(half_bytes);
  // Poison with fp16 NaN: attention must never read a slot no step wrote.
  ROOFLM_CUDA_CHECK(cudaMemset(kv_k_.as<void>(), 0xFF, half_bytes));
  ROOFLM_CUDA_CHECK(cudaMemset(kv_v_.as<void>(), 0xFF, half_bytes));
  kv_capacity_tokens_ = geom.block_size;  // contiguous: a slot; paged: refined from the view
  return {kv_k_.as<void>(), kv_v_.as<void>()};
}

std::optional<int64_t> CudaBackend::kv_memory_budget_bytes() const {
  size_t free_bytes = 0, total_bytes = 0;
  ROOFLM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return std::max<int64_t>(0, int64_t(free_bytes) - activation_headroom_bytes_);
}

void CudaBackend::copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) {
  // A block is one row of a [n_layers, num_blocks * block bytes] matrix per K and V: one strided
  // 2D copy per block and tensor. Same stream as forward, in order, so no synchronisation.
  const size_t block_bytes = size_t(geom.elems_per_block()) * dtype_size(geom.dtype);
  const size_t layer_pitch = size_t(geom.num_blocks) * block_bytes;
  ROOFLM_CHECK(layer_pitch * size_t(geom.n_layers) <= kv_k_.bytes(), "copy in unallocated KV storage");
  for (const KvBlockCopy& c : copies) {
    ROOFLM_CHECK(c.src >= 0 && c.src < geom.num_blocks && c.dst >= 0 && c.dst < geom.num_blocks,
                 "block copy " + std::to_string(c.src) + " -> " + std::to_string(c.dst) + " outside the pool");
    for (const DeviceBuffer* tensor : {&kv_k_, &kv_v_}) {
      char* base = tensor->as<char>();
      ROOFLM_CUDA_CHECK(cudaMemcpy2DAsync(base + size_t(c.dst) * block_bytes, layer_pitch,
                                          base + size_t(c.src) * block_bytes, layer_pitch, block_bytes,
                                          size_t(geom.n_layers), cudaMemcpyDeviceToDevice, stream_));
    }
  }
}

nlohmann::json CudaBackend::device_info() const {
  nlohmann::json info = cuda_device_info();
  info["device"]["kind"] = "cuda";
  info["device"]["weights_bytes"] = w_->bytes();
  return info;
}

std::string CudaBackend::kernel_trace_status() const {
  return trace_status_.empty() ? "off (measure.kernel_trace is false)" : trace_status_;
}

std::vector<std::string> CudaBackend::kernel_names() const { return {used_.begin(), used_.end()}; }

void CudaBackend::ensure_capacity(int64_t tokens, int64_t seqs, int64_t table_entries) {
  if (tokens <= cap_tokens_ && seqs <= cap_seqs_ && table_entries <= cap_table_) return;
  drop_graphs();  // buffers move: captured graphs point at the old ones
  const int64_t T = std::max(tokens, cap_tokens_), S = std::max(seqs, cap_seqs_), B = std::max(table_entries, cap_table_);
  cap_tokens_ = T;
  cap_seqs_ = S;
  cap_table_ = B;
  const int64_t H = c_.hidden, QKV = c_.q_dim() + 2 * c_.kv_dim();
  x_.reserve(size_t(T * H) * 4);
  h_.reserve(size_t(T * H) * 2);
  qkv_.reserve(size_t(T * QKV) * 2);
  q_.reserve(size_t(T * c_.q_dim()) * 2);
  att_.reserve(size_t(T * c_.q_dim()) * 2);
  delta_.reserve(size_t(T * H) * 2);
  gu_.reserve(size_t(T * 2 * c_.ffn) * 2);
  act_.reserve(size_t(T * c_.ffn) * 2);
  hs_.reserve(size_t(S * H) * 2);
  logits_.reserve(size_t(S * c_.vocab) * 2);
  next_tokens_.reserve(size_t(S) * 4);
  // int32 metadata: tokens, positions, seq rows [T]; q_begin [S+1]; kv_len, sample rows [S]; tables [B]
  off_tokens_ = 0;
  off_pos_ = T;
  off_row_ = 2 * T;
  off_qbegin_ = 3 * T;
  off_kvlen_ = off_qbegin_ + S + 1;
  off_sample_ = off_kvlen_ + S;
  off_table_ = off_sample_ + S;
  const size_t meta_bytes = size_t(off_table_ + B) * 4;
  meta_.reserve(meta_bytes);
  meta_host_.reserve(meta_bytes);
  rows_.reserve(size_t(S) * sizeof(SamplingRow));
  rows_host_.reserve(size_t(S) * sizeof(SamplingRow));
  tokens_host_.reserve(size_t(S) * 4);
  sample_scratch_.reserve(sample_f16_scratch_bytes(S, c_.vocab));
}

void CudaBackend::linear(const __half* x, const __half* w, __half* y, int64_t n, int64_t in, int64_t out) {
  OpDesc op;
  op.op = OpKind::linear;
  op.n = n;
  op.in = in;
  op.out = out;
  const KernelChoice k = select_kernel(op, set_);
  note(k.name);
  if (k.name == "gemv_xwt_f16")
    gemv_xwt_f16(x, w, nullptr, y, n, in, out, stream_);
  else
    gemm_->xwt_f16(x, w, nullptr, y, n, in, out, stream_);
}

void CudaBackend::drop_graphs() {
  for (auto& [key, exec] : graphs_by_shape_) cudaGraphExecDestroy(exec);
  graphs_by_shape_.clear();
}

// Picks the attention kernel for this step and sizes its scratch BEFORE any launch or capture
// (no allocation may happen inside a graph capture).
attn::AttnKernel CudaBackend::choose_attention(const StepShape& s) {
  OpDesc op;
  op.op = OpKind::attention;
  op.batch = &s.batch;
  op.n_heads = int32_t(c_.n_heads);
  op.kv = &s.kv;
  const KernelChoice k = select_kernel(op, set_);
  if (!k.supported) throw InputError(k.why_not);
  note(k.name);
  if (attn_scratch_.reserve(std::max<size_t>(k.scratch_bytes, 256))) drop_graphs();
  return attn::attn_kernel_by_name(k.name);
}

void CudaBackend::attention(const __half* q, __half* out, const StepShape& s, int64_t layer) {
  attn::attn_launch(s.attn_kernel, q, out, s.batch, int32_t(c_.n_heads), int32_t(layer), s.kv,
                    attn_scratch_.as<void>(), cublas_, stream_);
}

void CudaBackend::sample(const StepShape& s) {
  if (s.n_sampled == 0) return;
  const int64_t H = c_.hidden;
  gather_rows_f16(h_.as<__half>(), meta_.as<int32_t>() + off_sample_, hs_.as<__half>(), s.n_sampled, H, stream_);
  note("gather_rows_f16");
  linear(hs_.as<__half>(), w_->lm_head, logits_.as<__half>(), s.n_sampled, H, c_.vocab);
  if (s.greedy) {
    argmax_f16(logits_.as<__half>(), next_tokens_.as<int32_t>(), s.n_sampled, c_.vocab, stream_);
    note("argmax_f16");
  } else {
    sample_f16(logits_.as<__half>(), rows_.as<SamplingRow>(), next_tokens_.as<int32_t>(), s.n_sampled, c_.vocab,
               sample_scratch_.as<void>(), sample_scratch_.bytes(), stream_);
    note("sample_f16");
  }
}

void CudaBackend::enqueue_step(const StepShape& s) {
  const int64_t T = s.n_tokens, H = c_.hidden, F = c_.ffn, QD = c_.q_dim(), KD = c_.kv_dim();
  const float eps = float(c_.rms_eps);
  float* x = x_.as<float>();
  __half *h = h_.as<__half>(), *qkv = qkv_.as<__half>(), *q = q_.as<__half>(), *att = att_.as<__half>(),
         *delta = delta_.as<__half>(), *gu = gu_.as<__half>(), *act = act_.as<__half>();
  const int32_t* positions = meta_.as<int32_t>() + off_pos_;
  // Each op (named as in the cost model, engine/roofline/cost_model.h) in an NVTX range and, with
  // measure.kernel_trace, attributed in the kernel trace.
  auto op = [&](const char* name, auto&& launch) {
    OpRange range(trace_.get(), name);
    launch();
  };

  op("embedding", [&] {
    embedding_gather_f16(w_->embed, meta_.as<int32_t>() + off_tokens_, x, T, c_.vocab, H, stream_);
    note("embedding_gather_f16");
  });
  for (int64_t l = 0; l < c_.n_layers; ++l) {
    const DeviceLayer& L = w_->layers[size_t(l)];
    if (set_ == KernelSet::fused) {
      if (l == 0) {
        op("attn_norm", [&] { rmsnorm_f16(x, L.attn_norm, h, T, H, eps, stream_); });
        note("rmsnorm_f16");
      } else {
        op("add_attn_norm", [&] { add_rmsnorm_f16(x, delta, L.attn_norm, h, T, H, eps, stream_); });
      }
      op("qkv_proj", [&] { linear(h, L.wqkv, qkv, T, H, QD + 2 * KD); });
      op("attention", [&] {
        attn::rope_qkv_kv_write_f16(qkv, q, int32_t(c_.n_heads), rope_inv_freq_.as<float>(), s.writes, int32_t(l),
                                    s.kv, stream_);
        attention(q, att, s, l);
      });
      note("rope_qkv_kv_write_f16");
      op("o_proj", [&] { linear(att, L.wo, delta, T, QD, H); });
      op("add_mlp_norm", [&] { add_rmsnorm_f16(x, delta, L.mlp_norm, h, T, H, eps, stream_); });
      note("add_rmsnorm_f16");
      op("gate_up_proj", [&] { linear(h, L.w_gate_up, gu, T, H, 2 * F); });
      op("silu_mul", [&] { silu_mul_f16(gu, act, T, F, stream_); });
      note("silu_mul_f16");
      op("down_proj", [&] { linear(act, L.w_down, delta, T, F, H); });
    } else {
      if (l > 0) op("residual_add", [&] { residual_add_f16(x, delta, T, H, stream_); });
      op("attn_norm", [&] { rmsnorm_f16(x, L.attn_norm, h, T, H, eps, stream_); });
      __half *qn = qkv, *kn = qkv + T * QD, *vn = kn + T * KD;  // three contiguous outputs
      op("q_proj", [&] { linear(h, L.wqkv, qn, T, H, QD); });
      op("k_proj", [&] { linear(h, L.wqkv + QD * H, kn, T, H, KD); });
      op("v_proj", [&] { linear(h, L.wqkv + (QD + KD) * H, vn, T, H, KD); });
      op("rope", [&] {
        rope_f16(qn, kn, positions, T, c_.n_heads, c_.n_kv_heads, c_.head_dim, rope_inv_freq_.as<float>(), stream_);
      });
      op("attention", [&] {
        attn::kv_write_f16(kn, vn, s.writes, int32_t(l), s.kv, stream_);
        attention(qn, att, s, l);
      });
      op("o_proj", [&] { linear(att, L.wo, delta, T, QD, H); });
      op("residual_add", [&] { residual_add_f16(x, delta, T, H, stream_); });
      op("mlp_norm", [&] { rmsnorm_f16(x, L.mlp_norm, h, T, H, eps, stream_); });
      __half *g = gu, *u = gu + T * F;
      op("gate_proj", [&] { linear(h, L.w_gate_up, g, T, H, F); });
      op("up_proj", [&] { linear(h, L.w_gate_up + F * H, u, T, H, F); });
      op("silu", [&] { silu_f16(g, g, T * F, stream_); });
      op("mul", [&] { mul_f16(g, u, act, T * F, stream_); });
      op("down_proj", [&] { linear(act, L.w_down, delta, T, F, H); });
      for (const char* k : {"residual_add_f16", "rmsnorm_f16", "rope_f16", "kv_write_f16", "silu_f16", "mul_f16"}) note(k);
    }
  }
  if (set_ == KernelSet::fused) {
    op("add_final_norm", [&] { add_rmsnorm_f16(x, delta, w_->final_norm, h, T, H, eps, stream_); });
  } else {
    op("residual_add", [&] { residual_add_f16(x, delta, T, H, stream_); });
    op("final_norm", [&] { rmsnorm_f16(x, w_->final_norm, h, T, H, eps, stream_); });
  }
  op("lm_head", [&] { sample(s); });  // gather of the sampling rows, LM head GEMM, sampler
}

void CudaBackend::launch_graph(const StepShape& s) {
  const auto key = std::make_tuple(s.n_seqs, s.greedy);
  auto it = graphs_by_shape_.find(key);
  // The fused decode step depends only on device-side metadata once its shapes are fixed, so one
  // graph per (batch size, sampler) replays every step. The naive set sizes its cuBLAS calls from
  // host-side context lengths, so its graph is captured and instantiated anew every step: the
  // measurement then shows what graphs cost when they cannot be reused.
  if (set_ == KernelSet::naive && it != graphs_by_shape_.end()) {
    cudaGraphExecDestroy(it->second);
    graphs_by_shape_.erase(it);
    it = graphs_by_shape_.end();
  }
  if (it == graphs_by_shape_.end()) {
    cudaGraph_t graph;
    ROOFLM_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    enqueue_step(s);
    ROOFLM_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    cudaGraphExec_t exec;
    ROOFLM_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
    ROOFLM_CUDA_CHECK(cudaGraphDestroy(graph));
    it = graphs_by_shape_.emplace(key, exec).first;
  }
  ROOFLM_CUDA_CHECK(cudaGraphLaunch(it->second, stream_));
}

StepOutput CudaBackend::forward(const BatchPlan& plan, const KvView& kv, bool want_logits) {
  ROOFLM_CHECK(kv.n_seqs == int32_t(plan.chunks.size()), "KV view rows must match the plan");
  StepShape s;
  s.n_seqs = int64_t(plan.chunks.size());
  s.n_tokens = plan.n_tokens();
  const int64_t table_entries = s.n_seqs * kv.max_blocks_per_seq;
  ensure_capacity(s.n_tokens, s.n_seqs, table_entries);
  kv_capacity_tokens_ = std::max<int64_t>(kv_capacity_tokens_, int64_t(kv.max_blocks_per_seq) * kv.geom.block_size);

  int32_t* m = meta_host_.as<int32_t>();
  auto* rows = rows_host_.as<SamplingRow>();
  q_begin_host_.assign(size_t(s.n_seqs + 1), 0);
  kv_len_host_.assign(size_t(s.n_seqs), 0);
  int64_t t = 0, max_q = 0, max_kv = 0;
  std::vector<size_t> sampled_chunk;
  for (int64_t r = 0; r < s.n_seqs; ++r) {
    const SeqChunk& ch = plan.chunks[size_t(r)];
    q_begin_host_[size_t(r)] = int32_t(t);
    for (int64_t i = 0; i < ch.n_tokens(); ++i, ++t) {
      m[off_tokens_ + t] = ch.tokens[size_t(i)];
      m[off_pos_ + t] = int32_t(ch.start_pos + i);
      m[off_row_ + t] = int32_t(r);
    }
    kv_len_host_[size_t(r)] = int32_t(ch.end_pos());
    max_q = std::max(max_q, ch.n_tokens());
    max_kv = std::max(max_kv, ch.end_pos());
    if (ch.sample) {
      m[off_sample_ + s.n_sampled] = int32_t(t - 1);
      SamplingRow& row = rows[s.n_sampled];
      row = SamplingRow{};
      row.temperature = ch.sampling.temperature;
      row.top_k = ch.sampling.top_k;
      row.top_p = ch.sampling.top_p;
      row.seed = ch.sample_seed;
      row.position = ch.end_pos();
      s.greedy = s.greedy && (ch.sampling.temperature <= 0 || ch.sampling.top_k == 1);
      sampled_chunk.push_back(size_t(r));
      ++s.n_sampled;
    }
  }
  q_begin_host_[size_t(s.n_seqs)] = int32_t(t);
  std::copy(q_begin_host_.begin(), q_begin_host_.end(), m + off_qbegin_);
  std::copy(kv_len_host_.begin(), kv_len_host_.end(), m + off_kvlen_);
  std::memcpy(m + off_table_, kv.block_tables, size_t(table_entries) * 4);

  const bool decode_only = s.n_tokens == s.n_seqs && plan.n_prefill_tokens() == 0;
  const bool use_graph = graphs_ && decode_only;
  int32_t* md = meta_.as<int32_t>();
  s.kv = attn::make_kv_device_view(kv, md + off_table_);
  s.batch.n_seqs = int32_t(s.n_seqs);
  s.batch.n_tokens = int32_t(s.n_tokens);
  s.batch.max_q_len = int32_t(max_q);
  s.batch.window = int32_t(c_.sliding_window);
  // A replayed graph serves every context length up to the cache's capacity.
  s.batch.max_kv_len = int32_t(use_graph && set_ == KernelSet::fused ? kv_capacity_tokens_ : max_kv);
  s.batch.q_begin = md + off_qbegin_;
  s.batch.kv_len = md + off_kvlen_;
  s.batch.q_begin_host = q_begin_host_.data();
  s.batch.kv_len_host = kv_len_host_.data();
  s.writes.n_tokens = int32_t(s.n_tokens);
  s.writes.seq_row = md + off_row_;
  s.writes.position = md + off_pos_;
  s.attn_kernel = choose_attention(s);

  ROOFLM_CUDA_CHECK(cudaEventRecord(ev_start_, stream_));
  ROOFLM_CUDA_CHECK(cudaMemcpyAsync(md, m, size_t(off_table_ + table_entries) * 4, cudaMemcpyHostToDevice, stream_));
  if (!s.greedy)
    ROOFLM_CUDA_CHECK(cudaMemcpyAsync(rows_.as<void>(), rows, size_t(s.n_sampled) * sizeof(SamplingRow),
                                      cudaMemcpyHostToDevice, stream_));
  if (use_graph)
    launch_graph(s);
  else
    enqueue_step(s);
  ROOFLM_CUDA_CHECK(cudaMemcpyAsync(tokens_host_.as<void>(), next_tokens_.as<void>(), size_t(s.n_sampled) * 4,
                                    cudaMemcpyDeviceToHost, stream_));
  ROOFLM_CUDA_CHECK(cudaEventRecord(ev_end_, stream_));
  std::vector<__half> logits;
  if (want_logits && s.n_sampled > 0) {
    logits.resize(size_t(s.n_sampled * c_.vocab));
    ROOFLM_CUDA_CHECK(cudaMemcpyAsync(logits.data(), logits_.as<void>(), logits.size() * 2, cudaMemcpyDeviceToHost, stream_));
  }
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream_));
  float ms = 0;
  ROOFLM_CUDA_CHECK(cudaEventElapsedTime(&ms, ev_start_, ev_end_));

  StepOutput out;
  out.device_seconds = double(ms) / 1e3;
  if (trace_) out.kernels = trace_->collect();
  out.next_tokens.assign(plan.chunks.size(), -1);
  if (want_logits) out.logits.resize(plan.chunks.size());
  for (int64_t i = 0; i < s.n_sampled; ++i) {
    out.next_tokens[sampled_chunk[size_t(i)]] = tokens_host_.as<int32_t>()[i];
    if (want_logits) {
      auto& dst = out.logits[sampled_chunk[size_t(i)]];
      dst.resize(size_t(c_.vocab));
      for (int64_t v = 0; v < c_.vocab; ++v) dst[size_t(v)] = __half2float(logits[size_t(i * c_.vocab + v)]);
    }
  }
  return out;
}

}  // namespace rooflm
