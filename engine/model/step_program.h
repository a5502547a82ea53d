// StepProgram: the ops one engine step is made of, in launch order, as the model family's recipe
// (engine/model/families/) writes them for a variant. It is the single description of the forward
// pass: the cpu backend executes it with the reference ops (reference/), the cuda backend launches
// the registry's kernels for it (kernels/registry.h), and the cost model counts it
// (engine/roofline/cost_model.h). Op names (NVTX ranges, the kernel trace, run.kernel_breakdown,
// roofline.ops, the cost model's rows) are the nodes' names, so they agree by construction.
//
// A node is one cost-model op: what it computes (kind), on which activations and weights, in which
// dtypes. It may be one kernel or a few (the fused attention op is RoPE + KV write + attention);
// which kernels run is the backend's registry's choice for the node's shapes and dtypes. Nothing in
// a node depends on the batch: the same program serves every step of a run.
//
// With engine.tensor_parallel N > 1 the program is one rank's (every rank runs the same ops on its
// shard of the weights): its shapes are StepProgram::shard's (n_heads / N query heads, ...), and an
// all_reduce node follows each row-parallel projection (o_proj, down_proj).
//
// Activations (T = tokens of the step, S = sampling rows) and their shapes:
//   residual  [T, hidden]            the residual stream (fp32 on the backends, counted at 2 bytes)
//   normed    [T, hidden]            a norm's output, the next linear's input
//   qkv       [T, q_dim + 2*kv_dim]  fused QKV projection: q heads | k heads | v heads per row
//   q k v     [T, q_dim] [T, kv_dim] [T, kv_dim]   separate projections
//   attn_out  [T, q_dim]
//   branch    [T, hidden]            o_proj / down_proj output, added into the residual stream
//   gate_up   [T, 2*ffn]             fused gate|up projection;  gate, up [T, ffn] separate
//   mlp_act   [T, ffn]               silu(gate) * up (a silu_mul node's, or gate_up_proj's with that epilogue)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"
#include "common/variant.h"
#include "engine/model/model_config.h"
#include "engine/model/precision.h"
#include "engine/profile/profile_range.h"

namespace rooflm {

enum class Act : uint8_t { none, residual, normed, qkv, q, k, v, attn_out, branch, gate_up, gate, up, mlp_act };

// Model parameters, in the packed layout every backend stores (engine/model/weights.h):
// wqkv = [wq; wk; wv] rows, bqkv likewise, w_gate_up = [w_gate; w_up] rows.
enum class Param : uint8_t { none, embed, attn_norm, wqkv, bqkv, wo, mlp_norm, w_gate_up, w_down, final_norm, lm_head };

// Rows [row_begin, row_begin + rows) of a parameter (a row-major [rows_total, cols] matrix, or a
// vector: one element per row).
struct ParamSlice {
  Param param = Param::none;
  int64_t row_begin = 0;
  int64_t rows = 0;
  bool present() const { return param != Param::none; }
};

enum class OpKind : uint8_t {
  embedding,     // residual[t] = embed[token[t]]
  rmsnorm,       // out = rmsnorm(in) * weight
  add_rmsnorm,   // residual += branch; out = rmsnorm(residual) * weight (residual dead after: !writes_residual)
  residual_add,  // residual += branch
  linear,        // out[:, :out_features] = in W^T (+ bias); with epilogue silu_mul, see LinearEpilogue
  rope,          // `in` (q) and `out` (k) rotated in place (Hugging Face rotate_half, the inv_freq table)
  attention,     // this step's K,V into the cache, then causal GQA attention: attn_out
  silu,          // gate = silu(gate)
  mul,           // mlp_act = gate * up
  silu_mul,      // mlp_act = silu(gate_up[:, :ffn]) * gate_up[:, ffn:]
  lm_head,       // the sampling rows of `in` -> logits (fp32) -> the sampler's next tokens
  all_reduce,    // tensor parallelism: `in` (a row-parallel projection's partial sums) summed over the ranks, in place
};
std::string_view op_kind_name(OpKind kind);

// What a linear node applies to its product before the store. silu_mul: the weight slice holds
// 2 * out_features rows, [gate rows; up rows], and out = silu(in W_gate^T) * (in W_up^T) (the
// fused set's gate_up_proj at fp16: its [gate | up] never goes to memory, no silu_mul launch).
enum class LinearEpilogue : uint8_t { none, silu_mul };

struct OpNode {
  OpKind kind = OpKind::linear;
  std::string name;    // "qkv_proj", "attention", "add_mlp_norm", ...
  int32_t layer = -1;  // transformer layer; -1 for the step's own ops (embedding, final norm, LM head)
  Act in = Act::none;
  Act out = Act::none;
  ParamSlice weight;   // linear / norm / embedding / lm_head weight
  ParamSlice bias;     // linear: absent unless the family has one (Qwen2 Q/K/V)
  int64_t in_features = 0, out_features = 0;  // linear (out_features: the columns of `out`)
  LinearEpilogue epilogue = LinearEpilogue::none;  // linear
  // dtypes: what the op reads as its (GEMM) input, writes, and its weight's storage, with the
  // scales of each quantised one (precision.h)
  DType weight_dtype = DType::f16;
  ScaleLayout weight_scales;  // linear: of a quantised weight
  DType input_dtype = DType::f16;
  ScaleLayout input_scales;   // linear: of a quantised input (per token: written by its producer)
  DType output_dtype = DType::f16;
  ScaleLayout output_scales;  // the producer of a quantised GEMM input: per token it writes them,
                              // per tensor (static) it reads the one scale to quantise with
  TensorMath math = TensorMath::fp16;
  bool writes_residual = true;  // add_rmsnorm
  // attention
  bool rope_in_prologue = false;  // input is `qkv` un-rotated: RoPE and the KV write are part of the op
  bool scores_in_hbm = false;     // S = QK^T and P = softmax(S) go through global memory (naive)
  int64_t window = 0;             // sliding window (keys in [p - window + 1, p]); 0: all
  DType kv_dtype = DType::f16;
};

struct StepProgram {
  ModelConfig model;
  // One tensor-parallel rank's share of the model (tensor_shard.h): the heads and MLP columns the
  // ops are written with. The model itself at tensor_parallel 1.
  ModelConfig shard;
  Variant variant;             // what the program computes (kernels, precision, ...)
  std::vector<double> inv_freq;  // [head_dim / 2] RoPE inverse frequencies (rope_table.h)
  std::vector<OpNode> ops;     // launch order

  // Distinct op names in first-appearance order (the rows of the cost model and the trace).
  std::vector<std::string> op_names() const;
};

// Watches a backend execute a program: called around every node it executes, in order (the cuda
// backend's NVTX ranges and kernel-trace attribution are one; tests record the sequence with another).
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  virtual void op_begin(const OpNode& op) = 0;
  virtual void op_end(const OpNode& op) = 0;
};

// How every backend walks a program: `execute(node)` for each node in order, between the
// observer's op_begin and op_end (observer may be null), inside the NVTX layer and op ranges
// (engine/profile/profile_range.h).
template <class Execute>
void run_step_program(const StepProgram& program, OpObserver* observer, Execute&& execute) {
  LayerRanges layers;
  for (const OpNode& op : program.ops) {
    layers.enter_layer(op.layer);
    const ProfileRange range(RangeLevel::op, op.name);
    if (observer) observer->op_begin(op);
    execute(op);
    if (observer) observer->op_end(op);
  }
}

// The recipe of `model.family` for `variant` (engine/model/families/). Throws InputError when the
// family cannot run the variant (the message names the axis and value).
StepProgram build_step_program(const ModelConfig& model, const Variant& variant);

}  // namespace rooflm
