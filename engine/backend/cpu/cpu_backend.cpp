// CpuBackend: executes the step program with the reference ops (reference/), every node on all
// tokens of the plan at once; each token attends to its own sequence's KV (cached prefix + this
// step's tokens). fp32 arithmetic on fp16-rounded weights (or quantised linears: cpu_backend.h);
// fixed summation orders, so the result is bit-identical whatever the thread count, the batching
// or the kernel set's recipe (a per-token activation scale depends on its token's row only, and a
// node's weight scales are its rows' of the packed tensor).
#include "engine/backend/cpu/cpu_backend.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "common/error.h"
#include "engine/backend/cpu/host_memory.h"
#include "reference/activation.h"
#include "reference/attention.h"
#include "reference/embedding.h"
#include "reference/linear.h"
#include "reference/norm.h"
#include "reference/quant_linear.h"
#include "reference/rope.h"
#include "reference/sampler.h"

namespace rooflm {

namespace {

// Copies block src to block dst in every layer of a pool of `per_block` elements a block.
template <class T>
void copy_block(std::vector<T>& pool, const KvGeometry& geom, int64_t per_block, const KvBlockCopy& c) {
  for (int64_t l = 0; l < geom.n_layers; ++l) {
    const int64_t src = (l * geom.num_blocks + c.src) * per_block, dst = (l * geom.num_blocks + c.dst) * per_block;
    std::copy_n(pool.begin() + src, per_block, pool.begin() + dst);
  }
}

}  // namespace

Variant CpuBackend::effective(const Variant& requested) {
  Variant v = requested;
  v.backend = BackendKind::cpu;
  if (!requested.quantised_weights()) v.precision = Precision::fp32;
  v.kv_dtype = kv_dtype_quantized(requested.kv_dtype) ? requested.kv_dtype : DType::f32;
  v.launch = Launch::eager;
  return v;
}

CpuBackend::CpuBackend(ModelConfig config, ModelWeights weights, const Variant& requested, int n_threads,
                       StaticActivationScales static_scales, std::vector<QuantizedLayer> prequantized, CpuRankLink rank)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      program_(build_step_program(config_, effective(requested))),
      static_scales_(std::move(static_scales)),
      pool_(n_threads),
      rank_(std::move(rank)) {
  if (!rank_.all_reduce) require_one_rank(requested, "a cpu backend without its ranks (CpuRanksBackend)");
  ROOFLM_CHECK(!rank_.all_reduce || rank_.all_reduce->ranks() == program_.variant.tensor_parallel,
               "the all-reduce spans the variant's ranks");
  config_ = program_.shard;  // this rank's heads and MLP columns (the model at tensor_parallel 1)
  for (const OpNode& op : program_.ops)  // every static scale exists before any work
    if (op.kind == OpKind::linear && op.input_scales.grain == ScaleGrain::tensor) static_scales_.of(op);
  if (!prequantized.empty()) {
    ROOFLM_CHECK(program_.variant.quantised_weights() && int64_t(prequantized.size()) == config_.n_layers,
                 "pre-quantised layer weights for every layer of a quantised precision");
    quantized_ = QuantizedLayerWeights(std::move(prequantized), precision_dtypes(program_.variant));
  } else if (program_.variant.quantised_weights()) {
    quantized_ = QuantizedLayerWeights(weights_, precision_dtypes(program_.variant));
  }
}

std::vector<std::string> CpuBackend::kernel_names() const {
  return {"cpu_reference_" + std::string(rooflm::name(program_.variant.precision))};
}

KvStorage CpuBackend::allocate_kv(const KvGeometry& geom) {
  const DType dtype = program_.variant.kv_dtype;
  ROOFLM_CHECK(geom.dtype == dtype, "the cpu backend stores KV in " + std::string(dtype_name(dtype)));
  require_host_memory("the KV pool (" + std::to_string(geom.num_blocks) + " blocks of " +
                          std::to_string(geom.block_size) + " tokens, " + std::string(dtype_name(dtype)) + ")",
                      geom.total_bytes());
  const size_t n = size_t(geom.n_layers * geom.num_blocks * geom.elems_per_block());
  // Poison: attention must only ever read KV that a step wrote (a quantised slot's NaN scale makes
  // its every value NaN).
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  if (!geom.quantized()) {
    k_storage_.assign(n, kNaN);
    v_storage_.assign(n, kNaN);
    return {k_storage_.data(), v_storage_.data()};
  }
  const size_t n_scales = size_t(geom.n_layers * geom.num_blocks * geom.scales_per_block());
  k_codes_.assign(n, 0);
  v_codes_.assign(n, 0);
  k_scale_.assign(n_scales, kNaN);
  v_scale_.assign(n_scales, kNaN);
  return {k_codes_.data(), v_codes_.data(), k_scale_.data(), v_scale_.data()};
}

void CpuBackend::copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) {
  const int64_t block = geom.elems_per_block();
  const size_t allocated = geom.quantized() ? k_codes_.size() : k_storage_.size();
  ROOFLM_CHECK(geom.dtype == program_.variant.kv_dtype && size_t(geom.n_layers * geom.num_blocks * block) == allocated,
               "copy in unallocated KV storage");
  for (const KvBlockCopy& c : copies) {
    ROOFLM_CHECK(c.src >= 0 && c.src < geom.num_blocks && c.dst >= 0 && c.dst < geom.num_blocks,
                 "block copy " + std::to_string(c.src) + " -> " + std::to_string(c.dst) + " outside the pool");
    if (!geom.quantized()) {
      copy_block(k_storage_, geom, block, c);
      copy_block(v_storage_, geom, block, c);
      continue;
    }
    copy_block(k_codes_, geom, block, c);
    copy_block(v_codes_, geom, block, c);
    copy_block(k_scale_, geom, geom.scales_per_block(), c);
    copy_block(v_scale_, geom, geom.scales_per_block(), c);
  }
}

nlohmann::json CpuBackend::device_info() const {
  return {{"device", {{"kind", "cpu"}, {"threads", pool_.size()}}}};
}

// Row `slice.row_begin` of a parameter whose rows hold `cols` elements.
const float* CpuBackend::param(const ParamSlice& slice, int32_t layer) const {
  const LayerWeights* L = layer >= 0 ? &weights_.layers[size_t(layer)] : nullptr;
  const HostTensor* t = nullptr;
  switch (slice.param) {
    case Param::embed: t = &weights_.embed; break;
    case Param::attn_norm: t = &L->attn_norm; break;
    case Param::wqkv: t = &L->wqkv; break;
    case Param::bqkv: t = &L->bqkv; break;
    case Param::wo: t = &L->wo; break;
    case Param::mlp_norm: t = &L->mlp_norm; break;
    case Param::w_gate_up: t = &L->w_gate_up; break;
    case Param::w_down: t = &L->w_down; break;
    case Param::final_norm: t = &weights_.final_norm; break;
    case Param::lm_head: t = &weights_.lm_head_or_embed(); break;
    case Param::none: break;
  }
  ROOFLM_CHECK(t != nullptr && !t->data.empty(), "the step program reads a parameter the weights lack");
  const int64_t cols = t->shape.size() > 1 ? t->shape[1] : 1;
  return t->ptr() + slice.row_begin * cols;
}

// The buffer of an activation for a step of T tokens (layouts: step_program.h).
float* CpuBackend::act(Act a) {
  const int64_t T = tokens_, QD = config_.q_dim(), KD = config_.kv_dim(), F = config_.ffn;
  switch (a) {
    case Act::residual: return x_.data();
    case Act::normed: return h_.data();
    case Act::qkv:
    case Act::q: return qkv_.data();
    case Act::k: return qkv_.data() + T * QD;
    case Act::v: return qkv_.data() + T * (QD + KD);
    case Act::attn_out: return att_.data();
    case Act::branch: return branch_.data();
    case Act::gate_up:
    case Act::gate: return gate_up_.data();
    case Act::up: return gate_up_.data() + T * F;
    case Act::mlp_act: return mlp_act_.data();
    case Act::none: break;
  }
  ROOFLM_CHECK(false, "no buffer for this activation");
  return nullptr;
}

void CpuBackend::prepare_step(const BatchPlan& plan) {
  const ModelConfig& c = config_;
  std::unordered_set<SeqId> seen;
  tokens_ = plan.n_tokens();
  token_ids_.clear();
  positions_.clear();
  seq_rows_.clear();
  q_begin_.assign(1, 0);
  kv_len_.clear();
  for (size_t r = 0; r < plan.chunks.size(); ++r) {
    const SeqChunk& ch = plan.chunks[r];
    ROOFLM_CHECK(seen.insert(ch.seq).second, "a plan holds one chunk per sequence");
    for (int64_t i = 0; i < ch.n_tokens(); ++i) {
      const int32_t token = ch.tokens[size_t(i)];
      ROOFLM_CHECK(token >= 0 && token < c.vocab, "token id out of range");
      token_ids_.push_back(token);
      positions_.push_back(int32_t(ch.start_pos + i));
      seq_rows_.push_back(int32_t(r));
    }
    q_begin_.push_back(int32_t(token_ids_.size()));
    kv_len_.push_back(int32_t(ch.end_pos()));
  }
  const size_t T = size_t(tokens_), H = size_t(c.hidden), QD = size_t(c.q_dim()), KD = size_t(c.kv_dim()),
               F = size_t(c.ffn);
  x_.resize(T * H);
  h_.resize(T * H);
  qkv_.resize(T * (QD + 2 * KD));
  q_.resize(T * QD);
  k_.resize(T * KD);
  v_.resize(T * KD);
  att_.resize(T * QD);
  branch_.resize(T * H);
  gate_up_.resize(T * 2 * F);
  mlp_act_.resize(T * F);
}

void CpuBackend::attention(const OpNode& op, const KvView& kv) {
  const ModelConfig& c = config_;
  const int64_t T = tokens_, QD = c.q_dim(), KD = c.kv_dim();
  const float *q = act(Act::q), *k = act(Act::k), *v = act(Act::v);
  if (op.rope_in_prologue) {  // un-rotated [q | k | v] rows: split, rotate q and k
    const float* qkv = act(Act::qkv);
    for (int64_t t = 0; t < T; ++t) {
      const float* row = qkv + t * (QD + 2 * KD);
      std::copy_n(row, QD, q_.data() + t * QD);
      std::copy_n(row + QD, KD, k_.data() + t * KD);
      std::copy_n(row + QD + KD, KD, v_.data() + t * KD);
    }
    ref::rope(q_.data(), positions_.data(), T, c.n_heads, c.head_dim, program_.inv_freq.data());
    ref::rope(k_.data(), positions_.data(), T, c.n_kv_heads, c.head_dim, program_.inv_freq.data());
    q = q_.data();
    k = k_.data();
    v = v_.data();
  }
  ref::kv_write(k, v, seq_rows_.data(), positions_.data(), T, op.layer, kv);
  ref::attention(&pool_, q, act(op.out), q_begin_.data(), kv_len_.data(), int64_t(kv_len_.size()), c.n_heads, op.layer,
                 op.window, kv);
}

// One projection in the node's dtypes: fp32 on fp16-rounded weights, W8A16 on the dequantised
// weight, or W8A8 / FP8 on its input quantised per token (dynamic) or with its static scale.
void CpuBackend::linear(const OpNode& op) {
  const int64_t T = tokens_, in = op.in_features;
  const float* x = act(op.in);
  const float* bias = op.bias.present() ? param(op.bias, op.layer) : nullptr;
  float* y = act(op.out);
  if (op.epilogue == LinearEpilogue::silu_mul) {  // [gate | up] as the unfused pair, then silu(gate) * up
    ROOFLM_CHECK(op.weight_dtype == DType::f16 && bias == nullptr, "the silu_mul epilogue is for fp16 weights, no bias");
    float* gate_up = act(Act::gate_up);
    ref::linear_xwt(&pool_, x, param(op.weight, op.layer), nullptr, gate_up, T, in, op.weight.rows);
    ref::silu_mul(gate_up, y, T, op.out_features);
    return;
  }
  if (op.weight_dtype == DType::f16) {
    ref::linear_xwt(&pool_, x, param(op.weight, op.layer), bias, y, T, in, op.out_features);
    return;
  }
  const ref::QuantWeightView w = quantized_.view(op.weight, op.layer);
  ROOFLM_CHECK(w.cols == in && w.rows == op.out_features, "the node's shape is its weight slice's");
  if (op.input_dtype == DType::f16) {
    ref::linear_w8a16(&pool_, x, w, bias, y, T);
    return;
  }
  input_codes_.resize(size_t(T * in));
  ref::ActivationScales scales{.per_token = op.input_scales.grain == ScaleGrain::token};
  if (scales.per_token) {
    input_scales_.resize(size_t(T));
    ref::quantize_activations_per_token(op.input_dtype, x, T, in, input_codes_.data(), input_scales_.data());
  } else {
    input_scales_.assign(1, static_scales_.of(op));
    ref::quantize_activations_static(op.input_dtype, x, T * in, input_scales_[0], input_codes_.data());
  }
  scales.values = input_scales_.data();
  if (op.input_dtype == DType::i8)
    ref::linear_w8a8_int8(&pool_, reinterpret_cast<const int8_t*>(input_codes_.data()), scales, w, bias, y, T);
  else
    ref::linear_fp8(&pool_, input_codes_.data(), scales, w, bias, y, T);
}

void CpuBackend::lm_head(const OpNode& op, const BatchPlan& plan, bool want_logits, StepOutput& out) {
  const int64_t H = config_.hidden, V = op.out_features;
  std::vector<size_t> sampled;  // chunk of each sampling row
  std::vector<float> rows;      // [S, hidden]: the last token of each sampling chunk
  for (size_t r = 0; r < plan.chunks.size(); ++r) {
    if (!plan.chunks[r].sample) continue;
    sampled.push_back(r);
    const float* h = act(op.in) + int64_t(q_begin_[r + 1] - 1) * H;
    rows.insert(rows.end(), h, h + H);
  }
  const int64_t S = int64_t(sampled.size());
  std::vector<float> logits(size_t(S * V));
  ref::linear_xwt(&pool_, rows.data(), param(op.weight, op.layer), nullptr, logits.data(), S, H, V);
  for (int64_t s = 0; s < S; ++s) {
    const SeqChunk& ch = plan.chunks[sampled[size_t(s)]];
    std::span<const float> row(logits.data() + s * V, size_t(V));
    out.next_tokens[sampled[size_t(s)]] = ref::sample_token(row, ch.sampling, ch.sample_seed, ch.end_pos());
    if (want_logits) out.logits[sampled[size_t(s)]].assign(row.begin(), row.end());
  }
}

StepOutput CpuBackend::forward(const BatchPlan& plan, const KvView& kv, bool want_logits) {
  const ModelConfig& c = config_;
  ROOFLM_CHECK(kv.n_seqs == int32_t(plan.chunks.size()), "KV view rows must match the plan");
  prepare_step(plan);
  const int64_t T = tokens_, H = c.hidden, F = c.ffn;
  StepOutput out;
  out.next_tokens.assign(plan.chunks.size(), -1);
  if (want_logits) out.logits.resize(plan.chunks.size());

  run_step_program(program_, observer_, [&](const OpNode& op) {
    switch (op.kind) {
      case OpKind::embedding:
        ref::embedding_gather(param(op.weight, op.layer), token_ids_.data(), act(op.out), T, H);
        break;
      case OpKind::rmsnorm:
        ref::rmsnorm(act(op.in), param(op.weight, op.layer), act(op.out), T, H, c.rms_eps);
        break;
      case OpKind::add_rmsnorm:
        ref::residual_add(act(Act::residual), act(op.in), T, H);
        ref::rmsnorm(act(Act::residual), param(op.weight, op.layer), act(op.out), T, H, c.rms_eps);
        break;
      case OpKind::residual_add:
        ref::residual_add(act(op.out), act(op.in), T, H);
        break;
      case OpKind::linear:
        linear(op);
        break;
      case OpKind::rope:
        ref::rope(act(op.in), positions_.data(), T, c.n_heads, c.head_dim, program_.inv_freq.data());
        ref::rope(act(op.out), positions_.data(), T, c.n_kv_heads, c.head_dim, program_.inv_freq.data());
        break;
      case OpKind::attention:
        attention(op, kv);
        break;
      case OpKind::silu:
        ref::silu(act(op.in), act(op.out), T * F);
        break;
      case OpKind::mul:
        ref::mul(act(Act::gate), act(Act::up), act(op.out), T * F);
        break;
      case OpKind::silu_mul:
        ref::silu_mul(act(op.in), act(op.out), T, F);
        break;
      case OpKind::lm_head:
        lm_head(op, plan, want_logits, out);
        break;
      case OpKind::all_reduce:  // the row-parallel projection's partial sums, over the ranks
        rank_.all_reduce->all_reduce_sum(rank_.rank, act(op.in), T * H);
        break;
    }
  });
  return out;
}

}  // namespace rooflm
