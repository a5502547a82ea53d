// CudaBackend forward pass. One step = metadata upload (one H2D copy from pinned memory), the
// step program's kernels on one stream (or a CUDA graph replay for decode steps), sampling on the
// GPU, one D2H copy of the sampled tokens, one synchronize. Each node of the program is an op (an
// NVTX range of run_step_program's and, with measure.kernel_trace, the kernel trace's attribution) whose kernels the
// registry selects: select_kernel() for the node's shapes and dtypes, KernelRegistry::launch().
#include "engine/backend/cuda/cuda_backend.h"

#include <cuda_profiler_api.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "engine/backend/backend_factory.h"
#include "kernels/common/cuda_check.h"
#include "kernels/common/device_info.h"
#include "kernels/gemv/gemv_quant.h"
#include "kernels/sampling/sample_f16.h"

namespace rooflm {
namespace {

// Device memory the forward pass allocates besides weights and KV, for steps of up to
// `tokens` tokens and `seqs` sequences: the activation buffers of ensure_capacity(), the sampling
// buffers, and a fixed allowance for attention scratch, cuBLASLt and graph memory. Steps larger
// than this (a static batch's whole prefill) live in what kv_cache.memory_fraction leaves free.
int64_t activation_headroom_bytes(const ModelConfig& c, const PrecisionDtypes& d, int64_t tokens, int64_t seqs) {
  const int64_t H = c.hidden, F = c.ffn, QD = c.q_dim(), KD = c.kv_dim();
  // x fp32; h, qkv, q, att, delta, gate_up, act fp16; tokens/positions/rows int32
  int64_t per_token = 4 * H + 2 * (H + QD + 2 * KD + QD + QD + H + 2 * F + F) + 12;
  if (d.gemm_input != DType::f16)  // quantised rows, their scale, the GEMM accumulator
    per_token += std::max({H, QD, F}) + 4 + 4 * std::max({c.qkv_dim(), H, 2 * F});
  const int64_t per_seq = 2 * H + 2 * c.vocab + 64 + int64_t(sample_f16_scratch_bytes(1, c.vocab));
  return tokens * per_token + seqs * per_seq + (int64_t(256) << 20);
}

// A silu_mul-epilogue linear's query as the plain linear of all its weight rows ([gate | up]).
KernelQuery without_epilogue(KernelQuery q, const OpNode& op) {
  q.silu_mul_epilogue = false;
  q.out = op.weight.rows;
  return q;
}

}  // namespace

Variant CudaBackend::effective(const Variant& requested) {
  require_one_rank(requested, "the cuda backend");
  Variant v = requested;
  v.backend = BackendKind::cuda;
  return v;
}

CudaBackend::CudaBackend(ModelConfig config, const Scenario& scenario)
    : c_(std::move(config)),
      program_(build_step_program(c_, effective(requested_variant(scenario.engine, BackendKind::cuda)))),
      dtypes_(precision_dtypes(program_.variant)),
      graphs_(program_.variant.launch == Launch::graph),
      activation_headroom_bytes_(activation_headroom_bytes(
          c_, dtypes_, std::max(scenario.engine.batching.max_batched_tokens, scenario.engine.batching.max_batch),
          scenario.engine.batching.max_batch)) {
  for (const OpNode& op : program_.ops)
    if (op.kind == OpKind::attention) {  // the same in every layer
      window_ = int32_t(op.window);
      scores_in_hbm_ = op.scores_in_hbm;
    }
  require_kernels_for_program();
  static_scale_of_node_.assign(program_.ops.size(), 0.0f);
  const std::vector<QuantizedLayer> prequantized = prequantized_layers(scenario, c_, program_.variant);
  if (!prequantized.empty()) {  // a pre-quantised checkpoint: its codes and scales, the rest from the host
    const ModelWeights host = host_model_weights(scenario.model, c_, LayerLinearWeights::skip);
    w_ = std::make_unique<DeviceWeights>(c_, scenario.model, dtypes_, &host, &prequantized);
  } else if (uses_quant_scales(scenario, program_.variant)) {  // SmoothQuant: the weights smoothed on the GPU
    const ScenarioQuantScales scales = scenario_quant_scales(scenario, c_, program_.variant);
    set_static_scales(scales.static_scales);
    w_ = std::make_unique<DeviceWeights>(c_, scenario.model, dtypes_, nullptr, nullptr, &scales.smoothing);
  } else {
    if (program_.variant.activation_scales == ActivationScales::static_calibrated && program_.variant.quantised_activations())
      throw InputError("engine.activation_scales \"static\" needs quant.scales (rooflm calibrate-quant writes it)");
    w_ = std::make_unique<DeviceWeights>(c_, scenario.model, dtypes_);
  }
  const std::vector<float> inv_freq(program_.inv_freq.begin(), program_.inv_freq.end());
  inv_freq_.reserve(inv_freq.size() * sizeof(float));
  ROOFLM_CUDA_CHECK(cudaMemcpy(inv_freq_.as<void>(), inv_freq.data(), inv_freq.size() * sizeof(float),
                               cudaMemcpyHostToDevice));
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

void CudaBackend::set_profiler_capture(bool on) {
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the window holds whole steps
  ROOFLM_CUDA_CHECK(on ? cudaProfilerStart() : cudaProfilerStop());
}

// The query of a node's (first) kernel in a step of `n` tokens: its op, shapes and dtypes.
KernelQuery CudaBackend::node_query(const OpNode& op, int64_t n) const {
  KernelQuery q;
  q.n = n;
  q.in = c_.hidden;
  q.vocab = c_.vocab;
  q.n_heads = int32_t(c_.n_heads);
  q.n_kv_heads = int32_t(c_.n_kv_heads);
  q.head_dim = int32_t(c_.head_dim);
  switch (op.kind) {
    case OpKind::embedding: q.op = KernelOp::embedding; break;
    case OpKind::rmsnorm: q.op = KernelOp::rmsnorm; q.output = op.output_dtype; break;
    case OpKind::add_rmsnorm: q.op = KernelOp::add_rmsnorm; q.output = op.output_dtype; break;
    case OpKind::residual_add: q.op = KernelOp::residual_add; break;
    case OpKind::linear:
      q.op = KernelOp::linear;
      q.weight = op.weight_dtype;
      q.activation = op.input_dtype;
      q.in = op.in_features;
      q.out = op.out_features;
      q.bias = op.bias.present();
      q.silu_mul_epilogue = op.epilogue == LinearEpilogue::silu_mul;
      q.weight_grain = op.weight_scales.grain == ScaleGrain::tensor  ? WeightGrain::tensor
                       : op.weight_scales.grain == ScaleGrain::group ? WeightGrain::group
                                                                     : WeightGrain::channel;
      q.group_size = op.weight_scales.group_size;
      break;
    case OpKind::rope: q.op = KernelOp::rope; break;
    case OpKind::attention:  // its first kernel writes the KV cache
      q.op = op.rope_in_prologue ? KernelOp::rope_qkv_kv_write : KernelOp::kv_write;
      q.kv = op.kv_dtype;
      break;
    case OpKind::silu: q.op = KernelOp::silu; q.in = c_.ffn; break;
    case OpKind::mul: q.op = KernelOp::mul; q.in = c_.ffn; q.output = op.output_dtype; break;
    case OpKind::silu_mul: q.op = KernelOp::silu_mul; q.in = c_.ffn; q.output = op.output_dtype; break;
    case OpKind::lm_head: q.op = KernelOp::gather_rows; break;  // its first kernel gathers the sampling rows
    case OpKind::all_reduce: break;  // one rank (effective() refuses more): no kernel
  }
  return q;
}

// Before anything is allocated: every node's kernels exist for its dtypes and the model's shapes
// (at one token and at a GEMM-sized batch), else InputError naming the axis and what is missing.
void CudaBackend::require_kernels_for_program() const {
  const Variant& v = program_.variant;
  for (const OpNode& op : program_.ops)
    for (int64_t n : {int64_t(1), int64_t(64)}) {  // a decode GEMV and a prefill GEMM
      KernelQuery q = node_query(op, n);
      KernelChoice k = select_kernel(q);
      if (!k.supported && q.silu_mul_epilogue) {  // linear_silu_mul's fallback: the plain linear, then silu_mul
        q = without_epilogue(q, op);
        k = select_kernel(q);
      }
      if (k.supported && op.kind == OpKind::attention && op.output_dtype != DType::f16) {  // + quantize
        q.op = KernelOp::quantize;
        q.in = c_.q_dim();
        q.output = op.output_dtype;
        k = select_kernel(q);
      }
      if (!k.supported)
        throw InputError("model " + c_.name + ", engine.precision \"" + std::string(rooflm::name(v.precision)) +
                         "\", kv_cache.dtype \"" + std::string(dtype_name(v.kv_dtype)) + "\": op " + op.name +
                         ": " + k.why_not);
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
  ROOFLM_CHECK(geom.dtype == DType::f16 || geom.quantized(), "the cuda backend stores KV in fp16, int8 or fp8");
  const size_t tensor_bytes = size_t(geom.n_layers * geom.num_blocks * geom.elems_per_block()) * dtype_size(geom.dtype);
  const size_t scale_bytes = size_t(geom.n_layers * geom.num_blocks * geom.scales_per_block()) * sizeof(float);
  size_t free_bytes = 0, total_bytes = 0;
  ROOFLM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (geom.total_bytes() > int64_t(free_bytes))
    throw InputError("the KV cache needs " + std::to_string(geom.total_bytes()) + " bytes (" +
                     std::to_string(geom.num_blocks) + " blocks of " + std::to_string(geom.block_size) +
                     " tokens) but only " + std::to_string(free_bytes) + " bytes are free on the GPU after " +
                     std::to_string(w_->bytes()) + " bytes of weights");
  // Poison with all-ones bytes (fp16 NaN; a quantised cache's scales NaN): attention must never read
  // a slot no step wrote.
  KvStorage storage;
  for (auto [buffer, bytes] : {std::pair{&kv_k_, tensor_bytes}, std::pair{&kv_v_, tensor_bytes},
                               std::pair{&kv_k_scale_, scale_bytes}, std::pair{&kv_v_scale_, scale_bytes}}) {
    if (bytes == 0) continue;
    buffer->reserve(bytes);
    ROOFLM_CUDA_CHECK(cudaMemset(buffer->as<void>(), 0xFF, bytes));
  }
  kv_capacity_tokens_ = geom.block_size;  // contiguous: a slot; paged: refined from the view
  storage.k = kv_k_.as<void>();
  storage.v = kv_v_.as<void>();
  if (scale_bytes > 0) {
    storage.k_scale = kv_k_scale_.as<float>();
    storage.v_scale = kv_v_scale_.as<float>();
  }
  return storage;
}

std::optional<int64_t> CudaBackend::kv_memory_budget_bytes() const {
  size_t free_bytes = 0, total_bytes = 0;
  ROOFLM_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return std::max<int64_t>(0, int64_t(free_bytes) - activation_headroom_bytes_);
}

void CudaBackend::copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) {
  // A block is one row of a [n_layers, num_blocks * block bytes] matrix per tensor (K, V and, when
  // quantised, their scales): one strided 2D copy per block and tensor. Same stream as forward, in
  // order, so no synchronisation.
  struct Tensor {
    const DeviceBuffer* buffer;
    size_t block_bytes;
  };
  const size_t value_block = size_t(geom.elems_per_block()) * dtype_size(geom.dtype);
  const size_t scale_block = size_t(geom.scales_per_block()) * sizeof(float);
  const Tensor tensors[] = {{&kv_k_, value_block}, {&kv_v_, value_block}, {&kv_k_scale_, scale_block},
                            {&kv_v_scale_, scale_block}};
  ROOFLM_CHECK(value_block * size_t(geom.num_blocks * geom.n_layers) <= kv_k_.bytes(), "copy in unallocated KV storage");
  for (const KvBlockCopy& c : copies) {
    ROOFLM_CHECK(c.src >= 0 && c.src < geom.num_blocks && c.dst >= 0 && c.dst < geom.num_blocks,
                 "block copy " + std::to_string(c.src) + " -> " + std::to_string(c.dst) + " outside the pool");
    for (const Tensor& t : tensors) {
      if (t.block_bytes == 0) continue;
      const size_t layer_pitch = size_t(geom.num_blocks) * t.block_bytes;
      char* base = t.buffer->as<char>();
      ROOFLM_CUDA_CHECK(cudaMemcpy2DAsync(base + size_t(c.dst) * t.block_bytes, layer_pitch,
                                          base + size_t(c.src) * t.block_bytes, layer_pitch, t.block_bytes,
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
  if (dtypes_.gemm_input != DType::f16) {
    xq_.reserve(size_t(T * std::max({H, c_.q_dim(), c_.ffn})));
    xs_.reserve(size_t(T) * 4);
    // The GEMMs' accumulator: only steps beyond the GEMV's token count use it.
    if (T > kGemvQuantMaxTokens) acc_.reserve(size_t(T * std::max({QKV, H, 2 * c_.ffn})) * 4);
  }
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

void CudaBackend::drop_graphs() {
  for (auto& [key, exec] : graphs_by_shape_) cudaGraphExecDestroy(exec);
  graphs_by_shape_.clear();
}

// Activation buffers for a step of `n` tokens (layouts in step_program.h).
void* CudaBackend::act(Act a, int64_t n) const {
  const int64_t QD = c_.q_dim(), KD = c_.kv_dim(), F = c_.ffn;
  switch (a) {
    case Act::residual: return x_.as<float>();
    case Act::normed: return h_.as<__half>();
    case Act::qkv:
    case Act::q: return qkv_.as<__half>();
    case Act::k: return qkv_.as<__half>() + n * QD;
    case Act::v: return qkv_.as<__half>() + n * (QD + KD);
    case Act::attn_out: return att_.as<__half>();
    case Act::branch: return delta_.as<__half>();
    case Act::gate_up:
    case Act::gate: return gu_.as<__half>();
    case Act::up: return gu_.as<__half>() + n * F;
    case Act::mlp_act: return act_.as<__half>();
    case Act::none: break;
  }
  ROOFLM_CHECK(false, "no buffer for this activation");
  return nullptr;
}

// Row `slice.row_begin` of a parameter whose rows hold `cols` elements.
const __half* CudaBackend::param(const ParamSlice& slice, int32_t layer, int64_t cols) const {
  const DeviceLayer* L = layer >= 0 ? &w_->layers[size_t(layer)] : nullptr;
  const __half* base = nullptr;
  switch (slice.param) {
    case Param::embed: base = w_->embed; break;
    case Param::attn_norm: base = L->attn_norm; break;
    case Param::wqkv: base = L->wqkv; break;
    case Param::bqkv: base = L->bqkv; break;
    case Param::wo: base = L->wo; break;
    case Param::mlp_norm: base = L->mlp_norm; break;
    case Param::w_gate_up: base = L->w_gate_up; break;
    case Param::w_down: base = L->w_down; break;
    case Param::final_norm: base = w_->final_norm; break;
    case Param::lm_head: base = w_->lm_head; break;
    case Param::none: break;
  }
  ROOFLM_CHECK(base != nullptr, "the step program reads a parameter the device weights lack");
  return base + slice.row_begin * cols;
}

QuantWeightDevice CudaBackend::quant_param(const ParamSlice& slice, int32_t layer) const {
  const DeviceLayer& L = w_->layers[size_t(layer)];
  const QuantWeightDevice* whole = nullptr;
  switch (slice.param) {
    case Param::wqkv: whole = &L.wqkv_q; break;
    case Param::wo: whole = &L.wo_q; break;
    case Param::w_gate_up: whole = &L.w_gate_up_q; break;
    case Param::w_down: whole = &L.w_down_q; break;
    default: break;
  }
  ROOFLM_CHECK(whole != nullptr && whole->codes != nullptr, "the step program reads a quantised weight the device lacks");
  return whole->rows_from(slice.row_begin, slice.rows);
}

QuantizedRows CudaBackend::quantized_output(const OpNode& op) const {
  const size_t node = size_t(&op - program_.ops.data());
  return {op.output_dtype, xq_.as<uint8_t>(), xs_.as<float>(), static_scale_of_node_[node]};
}

// A producer of a quantised GEMM input quantises once for every linear node that reads it (the
// naive set's q/k/v projections read one norm output): they must share one static scale.
void CudaBackend::set_static_scales(const StaticActivationScales& scales) {
  if (scales.by_op.empty()) return;
  const std::vector<OpNode>& ops = program_.ops;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].output_dtype == DType::f16 || ops[i].output_scales.grain != ScaleGrain::tensor) continue;
    float scale = 0.0f;
    for (size_t j = i + 1; j < ops.size() && !(ops[j].out == ops[i].out && ops[j].kind != OpKind::linear); ++j) {
      if (ops[j].kind != OpKind::linear || ops[j].in != ops[i].out) continue;
      const float s = scales.of(ops[j]);
      if (scale != 0.0f && s != scale)
        throw InputError("quant.scales: layer " + std::to_string(ops[j].layer) + " " + ops[j].name +
                         " reads the same input as the op before it with a different static scale (" + std::to_string(s) +
                         " vs " + std::to_string(scale) + "); the cuda backend quantises that input once");
      scale = s;
    }
    static_scale_of_node_[i] = scale;
  }
}

KernelQuery CudaBackend::attention_query(const StepShape& s) const {
  KernelQuery q;
  q.op = KernelOp::attention;
  q.n = s.n_tokens;
  q.n_heads = int32_t(c_.n_heads);
  q.n_kv_heads = int32_t(c_.n_kv_heads);
  q.head_dim = int32_t(c_.head_dim);
  q.batch = &s.batch;
  q.kv_view = &s.kv;
  q.kv = s.kv.dtype;
  q.scores_in_hbm = scores_in_hbm_;
  return q;
}

// Picks the attention kernel for this step and sizes its scratch BEFORE any launch or capture
// (no allocation may happen inside a graph capture).
KernelChoice CudaBackend::choose_attention(const StepShape& s) {
  KernelChoice k = select_kernel(attention_query(s));
  if (!k.supported) throw InputError(k.why_not);
  if (attn_scratch_.reserve(std::max<size_t>(k.scratch_bytes, 256))) drop_graphs();
  return k;
}

void CudaBackend::attention(const OpNode& op, const StepShape& s) {
  const int64_t T = s.n_tokens;
  KernelArgs a;
  a.layer = op.layer;
  a.writes = &s.writes;
  a.inv_freq = inv_freq_.as<float>();
  KernelQuery q = attention_query(s);
  const void* query_rows = act(op.in, T);
  if (op.rope_in_prologue) {  // un-rotated [q | k | v] rows: rotated q out, rotated k and v into the cache
    q.op = KernelOp::rope_qkv_kv_write;
    a.x = act(op.in, T);
    a.y = q_.as<__half>();
    launch(q, a);
    query_rows = q_.as<__half>();
  } else {  // q, k, v rotated already: k and v into the cache
    q.op = KernelOp::kv_write;
    a.x = act(Act::k, T);
    a.x2 = act(Act::v, T);
    launch(q, a);
  }
  q.op = KernelOp::attention;
  a.x = query_rows;
  a.y = act(op.out, T);
  a.scratch = attn_scratch_.as<void>();
  a.cublas = cublas_;
  registry_.launch(s.attention, q, a, stream_);
  if (op.output_dtype != DType::f16) {  // o_proj reads it quantised
    KernelQuery qq;
    qq.op = KernelOp::quantize;
    qq.n = T;
    qq.in = c_.q_dim();
    qq.output = op.output_dtype;
    KernelArgs qa;
    qa.x = act(op.out, T);
    qa.qout = quantized_output(op);
    launch(qq, qa);
  }
}

// The sampling rows of the final norm's output -> LM head GEMM -> sampler (nothing without a row).
void CudaBackend::lm_head(const OpNode& op, const StepShape& s) {
  if (s.n_sampled == 0) return;
  const int64_t H = c_.hidden, S = s.n_sampled;
  KernelQuery q;
  KernelArgs a;
  q.op = KernelOp::gather_rows;
  q.n = S;
  q.in = H;
  a.x = act(op.in, s.n_tokens);
  a.index = meta_.as<int32_t>() + off_sample_;
  a.y = hs_.as<__half>();
  launch(q, a);
  q = {};
  q.op = KernelOp::linear;
  q.n = S;
  q.in = H;
  q.out = op.out_features;
  a = {};
  a.x = hs_.as<__half>();
  a.w = param(op.weight, op.layer, H);
  a.y = logits_.as<__half>();
  a.gemm = gemm_.get();
  launch(q, a);
  q = {};
  q.op = KernelOp::sample;
  q.n = S;
  q.vocab = op.out_features;
  q.greedy = s.greedy;
  a = {};
  a.x = logits_.as<__half>();
  a.y = next_tokens_.as<int32_t>();
  a.rows = rows_.as<SamplingRow>();
  a.scratch = sample_scratch_.as<void>();
  a.scratch_bytes = sample_scratch_.bytes();
  launch(q, a);
}

// gate_up_proj with its silu_mul epilogue: the decode GEMV applies it before its store; a larger
// step runs the plain linear into [gate | up] (Act::gate_up), then silu_mul_f16, as unfused.
void CudaBackend::linear_silu_mul(const OpNode& op, const StepShape& s) {
  const int64_t T = s.n_tokens;
  KernelQuery q = node_query(op, T);
  KernelArgs a;
  a.x = act(op.in, T);
  a.w = param(op.weight, op.layer, op.in_features);
  a.y = act(op.out, T);
  a.gemm = gemm_.get();
  const KernelChoice fused = select_kernel(q);
  if (fused.supported) {
    registry_.launch(fused, q, a, stream_);
    return;
  }
  a.y = act(Act::gate_up, T);
  launch(without_epilogue(q, op), a);
  KernelQuery sq;
  sq.op = KernelOp::silu_mul;
  sq.n = T;
  sq.in = op.out_features;
  KernelArgs sa;
  sa.x = act(Act::gate_up, T);
  sa.y = act(op.out, T);
  launch(sq, sa);
}

void CudaBackend::execute(const OpNode& op, const StepShape& s) {
  const int64_t T = s.n_tokens;
  const KernelQuery q = node_query(op, T);
  KernelArgs a;
  a.eps = float(c_.rms_eps);
  switch (op.kind) {
    case OpKind::embedding:
      a.w = param(op.weight, op.layer, c_.hidden);
      a.index = meta_.as<int32_t>() + off_tokens_;
      a.y = act(op.out, T);
      break;
    case OpKind::rmsnorm:
    case OpKind::add_rmsnorm:
      a.x = act(op.in, T);
      a.y2 = act(Act::residual, T);  // add_rmsnorm: the residual stream it adds the branch into
      a.w = param(op.weight, op.layer, 1);
      a.y = act(op.out, T);
      if (op.output_dtype != DType::f16) a.qout = quantized_output(op);
      break;
    case OpKind::residual_add:
      a.x = act(op.in, T);
      a.y = act(op.out, T);
      break;
    case OpKind::linear: {
      if (op.epilogue == LinearEpilogue::silu_mul) return linear_silu_mul(op, s);
      a.bias = op.bias.present() ? param(op.bias, op.layer, 1) : nullptr;
      a.y = act(op.out, T);
      a.gemm = gemm_.get();
      if (op.weight_dtype == DType::f16) {
        a.x = act(op.in, T);
        a.w = param(op.weight, op.layer, op.in_features);
        break;
      }
      const QuantWeightDevice w = quant_param(op.weight, op.layer);
      a.wq = &w;
      a.dequant = w_->dequant_scratch;
      a.acc = acc_.as<void>();
      if (op.input_dtype == DType::f16) {
        a.x = act(op.in, T);
      } else {
        a.x = xq_.as<void>();
        a.x_scales = xs_.as<float>();
      }
      launch(q, a);  // while `w` lives
      return;
    }
    case OpKind::rope:
      a.y = act(op.in, T);
      a.y2 = act(op.out, T);
      a.index = meta_.as<int32_t>() + off_pos_;
      a.inv_freq = inv_freq_.as<float>();
      break;
    case OpKind::attention:
      return attention(op, s);
    case OpKind::silu:
    case OpKind::mul:
    case OpKind::silu_mul:
      a.x = act(op.kind == OpKind::mul ? Act::gate : op.in, T);
      a.x2 = act(Act::up, T);
      a.y = act(op.out, T);
      if (op.output_dtype != DType::f16) a.qout = quantized_output(op);
      break;
    case OpKind::lm_head:
      return lm_head(op, s);
    case OpKind::all_reduce:  // one rank (effective() refuses more): nothing to sum
      return;
  }
  launch(q, a);
}

void CudaBackend::enqueue_step(const StepShape& s) {
  run_step_program(program_, observer_, [&](const OpNode& op) {
    OpRange range(trace_.get(), op.name.c_str());  // kernel-trace attribution
    execute(op, s);
  });
}

void CudaBackend::launch_graph(const StepShape& s) {
  const auto key = std::make_tuple(s.n_seqs, s.greedy);
  auto it = graphs_by_shape_.find(key);
  // A decode step whose kernels depend only on device-side metadata once its shapes are fixed
  // replays one graph per (batch size, sampler) for every step. A program with naive attention
  // sizes its cuBLAS calls from host-side context lengths, so its graph is captured and
  // instantiated anew every step: the measurement then shows what graphs cost when they cannot be
  // reused.
  if (scores_in_hbm_ && it != graphs_by_shape_.end()) {
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
  // A replayed graph serves every context length up to the cache's capacity.
  s.batch.max_kv_len = int32_t(use_graph && !scores_in_hbm_ ? kv_capacity_tokens_ : max_kv);
  s.batch.window = window_;
  s.batch.q_begin = md + off_qbegin_;
  s.batch.kv_len = md + off_kvlen_;
  s.batch.q_begin_host = q_begin_host_.data();
  s.batch.kv_len_host = kv_len_host_.data();
  s.writes.n_tokens = int32_t(s.n_tokens);
  s.writes.seq_row = md + off_row_;
  s.writes.position = md + off_pos_;
  s.attention = choose_attention(s);

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
