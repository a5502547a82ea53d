// The Llama-architecture decoder recipe: pre-norm blocks of GQA attention (RoPE) and a SwiGLU MLP,
// RMSNorm, final norm, LM head. It is the recipe of every family rooflm runs (families.h): Llama-2/3
// as written, Qwen2 with a bias on the Q/K/V projections, Mistral with a sliding attention window,
// each from the model's traits. The kernel set is decided here and only here:
//
//   fused:  embedding; per layer [attn_norm (layer 0) | add_attn_norm (residual add fused)] ->
//           qkv_proj -> attention (RoPE + KV write in its prologue, flash / split-K, S never in HBM)
//           -> o_proj -> add_mlp_norm -> gate_up_proj -> silu_mul -> down_proj; add_final_norm; lm_head
//           (fp16: gate_up_proj applies silu(gate) * up before its store, no silu_mul node; a
//           quantised down_proj reads its input quantised, which silu_mul writes)
//   naive:  embedding; per layer [residual_add (layer > 0)] -> attn_norm -> q_proj, k_proj, v_proj ->
//           rope -> attention (KV write, S = QK^T and P in HBM) -> o_proj -> residual_add ->
//           mlp_norm -> gate_proj, up_proj -> silu -> mul -> down_proj; residual_add; final_norm;
//           lm_head
//
// Precision is a property of the linear ops: the transformer layers' projections carry the
// variant's weight dtype and scales and GEMM input dtype and scales, and the op producing a GEMM's
// input (a norm, silu_mul / mul, attention) writes it in that dtype with its scales; the embedding,
// norms' own math and LM head stay fp16.
//
// Tensor parallelism (engine.tensor_parallel N): the recipe is given one rank's shard of the model
// (tensor_shard.h) and writes that rank's ops; an all_reduce follows o_proj and down_proj.
#include "engine/model/families/families.h"

#include <string>

namespace rooflm {
namespace {

class LlamaRecipe {
 public:
  LlamaRecipe(const ModelConfig& m, const Variant& v)
      : m_(m), fused_(v.kernels == KernelSet::fused), ranks_(v.tensor_parallel), dt_(precision_dtypes(v)) {}

  std::vector<OpNode> build() {
    embedding();
    for (int32_t l = 0; l < int32_t(m_.n_layers); ++l) fused_ ? fused_layer(l) : naive_layer(l);
    if (fused_) {
      add_norm("add_final_norm", -1, Param::final_norm, /*writes_residual=*/false, DType::f16);
    } else {
      residual_add(-1);
      norm("final_norm", -1, Param::final_norm, DType::f16);  // the LM head reads fp16
    }
    lm_head();
    return std::move(ops_);
  }

 private:
  int64_t qkv_rows() const { return m_.q_dim() + 2 * m_.kv_dim(); }

  void fused_layer(int32_t l) {
    if (l == 0)
      norm("attn_norm", l, Param::attn_norm, dt_.gemm_input);  // nothing to add yet
    else
      add_norm("add_attn_norm", l, Param::attn_norm, true, dt_.gemm_input);
    linear("qkv_proj", l, Act::normed, Act::qkv, Param::wqkv, 0, qkv_rows(), m_.hidden, m_.qkv_bias);
    attention(l, Act::qkv, /*rope_in_prologue=*/true, /*scores_in_hbm=*/false);
    linear("o_proj", l, Act::attn_out, Act::branch, Param::wo, 0, m_.hidden, m_.q_dim(), false);
    all_reduce("attn_all_reduce", l);
    add_norm("add_mlp_norm", l, Param::mlp_norm, true, dt_.gemm_input);
    if (dt_.weight == DType::f16 && dt_.gemm_input == DType::f16) {
      linear("gate_up_proj", l, Act::normed, Act::mlp_act, Param::w_gate_up, 0, 2 * m_.ffn, m_.hidden, false);
      ops_.back().out_features = m_.ffn;
      ops_.back().epilogue = LinearEpilogue::silu_mul;
    } else {
      linear("gate_up_proj", l, Act::normed, Act::gate_up, Param::w_gate_up, 0, 2 * m_.ffn, m_.hidden, false);
      elementwise(OpKind::silu_mul, "silu_mul", l, Act::gate_up, Act::mlp_act, dt_.gemm_input);
    }
    linear("down_proj", l, Act::mlp_act, Act::branch, Param::w_down, 0, m_.hidden, m_.ffn, false);
    all_reduce("mlp_all_reduce", l);
  }

  void naive_layer(int32_t l) {
    const int64_t q = m_.q_dim(), kv = m_.kv_dim(), h = m_.hidden;
    if (l > 0) residual_add(l);  // the previous layer's MLP branch
    norm("attn_norm", l, Param::attn_norm, dt_.gemm_input);
    linear("q_proj", l, Act::normed, Act::q, Param::wqkv, 0, q, h, m_.qkv_bias);
    linear("k_proj", l, Act::normed, Act::k, Param::wqkv, q, kv, h, m_.qkv_bias);
    linear("v_proj", l, Act::normed, Act::v, Param::wqkv, q + kv, kv, h, m_.qkv_bias);
    add({.kind = OpKind::rope, .name = "rope", .layer = l, .in = Act::q, .out = Act::k});
    attention(l, Act::q, /*rope_in_prologue=*/false, /*scores_in_hbm=*/true);
    linear("o_proj", l, Act::attn_out, Act::branch, Param::wo, 0, h, q, false);
    all_reduce("attn_all_reduce", l);
    residual_add(l);
    norm("mlp_norm", l, Param::mlp_norm, dt_.gemm_input);
    linear("gate_proj", l, Act::normed, Act::gate, Param::w_gate_up, 0, m_.ffn, h, false);
    linear("up_proj", l, Act::normed, Act::up, Param::w_gate_up, m_.ffn, m_.ffn, h, false);
    elementwise(OpKind::silu, "silu", l, Act::gate, Act::gate, DType::f16);
    elementwise(OpKind::mul, "mul", l, Act::gate, Act::mlp_act, dt_.gemm_input);
    linear("down_proj", l, Act::mlp_act, Act::branch, Param::w_down, 0, h, m_.ffn, false);
    all_reduce("mlp_all_reduce", l);
  }

  // Tensor parallelism: the row-parallel projection's partial branch summed over the ranks.
  void all_reduce(const char* name, int32_t l) {
    if (ranks_ > 1) add({.kind = OpKind::all_reduce, .name = name, .layer = l, .in = Act::branch, .out = Act::branch});
  }

  void embedding() {
    add({.kind = OpKind::embedding, .name = "embedding", .out = Act::residual, .weight = {Param::embed, 0, m_.vocab}});
  }

  // The scales an op writing `out_dtype` produces: a quantised GEMM input's (precision.h).
  ScaleLayout output_scales(DType out_dtype) const {
    return out_dtype == dt_.gemm_input ? dt_.input_scales : ScaleLayout{};
  }

  void norm(const char* name, int32_t l, Param weight, DType out_dtype) {
    add({.kind = OpKind::rmsnorm, .name = name, .layer = l, .in = Act::residual, .out = Act::normed,
         .weight = {weight, 0, m_.hidden}, .output_dtype = out_dtype, .output_scales = output_scales(out_dtype)});
  }

  void add_norm(const char* name, int32_t l, Param weight, bool writes_residual, DType out_dtype) {
    add({.kind = OpKind::add_rmsnorm, .name = name, .layer = l, .in = Act::branch, .out = Act::normed,
         .weight = {weight, 0, m_.hidden}, .output_dtype = out_dtype, .output_scales = output_scales(out_dtype),
         .writes_residual = writes_residual});
  }

  void residual_add(int32_t l) {
    add({.kind = OpKind::residual_add, .name = "residual_add", .layer = l, .in = Act::branch, .out = Act::residual});
  }

  // A transformer-layer projection: rows [row_begin, row_begin + rows) of `weight` ([*, in_features]).
  void linear(const char* name, int32_t l, Act in, Act out, Param weight, int64_t row_begin, int64_t rows,
              int64_t in_features, bool bias) {
    const ScaleLayout& scales = dt_.weight_scales;
    if (scales.grain == ScaleGrain::group && in_features % scales.group_size != 0)
      throw InputError("engine.weight_group_size = " + std::to_string(scales.group_size) +
                       " must divide the input features of every quantised linear layer, but " + name + " of model " +
                       m_.name + " has " + std::to_string(in_features) + " (hidden " + std::to_string(m_.hidden) +
                       ", q_dim " + std::to_string(m_.q_dim()) + ", ffn " + std::to_string(m_.ffn) + ")");
    OpNode op{.kind = OpKind::linear, .name = name, .layer = l, .in = in, .out = out,
              .weight = {weight, row_begin, rows}, .in_features = in_features, .out_features = rows,
              .weight_dtype = dt_.weight, .weight_scales = scales, .input_dtype = dt_.gemm_input,
              .input_scales = dt_.input_scales, .output_dtype = DType::f16, .math = dt_.math};
    if (bias) op.bias = {Param::bqkv, row_begin, rows};
    add(std::move(op));
  }

  void attention(int32_t l, Act in, bool rope_in_prologue, bool scores_in_hbm) {
    add({.kind = OpKind::attention, .name = "attention", .layer = l, .in = in, .out = Act::attn_out,
         .output_dtype = dt_.gemm_input, .output_scales = dt_.input_scales, .rope_in_prologue = rope_in_prologue, .scores_in_hbm = scores_in_hbm,
         .window = m_.sliding_window, .kv_dtype = dt_.kv});
  }

  void elementwise(OpKind kind, const char* name, int32_t l, Act in, Act out, DType out_dtype) {
    add({.kind = kind, .name = name, .layer = l, .in = in, .out = out, .output_dtype = out_dtype,
         .output_scales = output_scales(out_dtype)});
  }

  void lm_head() {
    add({.kind = OpKind::lm_head, .name = "lm_head", .in = Act::normed,
         .weight = {m_.tied_embeddings ? Param::embed : Param::lm_head, 0, m_.vocab}, .in_features = m_.hidden,
         .out_features = m_.vocab, .output_dtype = DType::f32});
  }

  void add(OpNode op) { ops_.push_back(std::move(op)); }

  const ModelConfig& m_;
  const bool fused_;
  const int32_t ranks_;  // engine.tensor_parallel: m_ is one rank's shard
  const PrecisionDtypes dt_;
  std::vector<OpNode> ops_;
};

}  // namespace

std::vector<OpNode> llama_decoder_ops(const ModelConfig& model, const Variant& variant) {
  return LlamaRecipe(model, variant).build();
}

}  // namespace rooflm
