// Per-op FLOP and byte counts of one engine step (the counting rules are in cost_model.h).
#include "engine/roofline/cost_model.h"

#include "common/error.h"

namespace rooflm {
namespace {

// What the ops need to know about the plan, summed over its chunks.
struct PlanTotals {
  double tokens = 0;          // T: rows of every per-token op
  double sampled_rows = 0;    // S: LM-head rows
  double causal_pairs = 0;    // (query, key) pairs attention computes
  double context_tokens = 0;  // KV tokens read back, sum of each chunk's end position
  double score_elements = 0;  // per head: the naive S / P rectangles, sum of n_tokens * end
};

PlanTotals plan_totals(const BatchPlan& plan) {
  if (plan.empty()) throw InputError("cost model: the batch plan has no chunks");
  PlanTotals totals;
  for (size_t i = 0; i < plan.chunks.size(); ++i) {
    const SeqChunk& chunk = plan.chunks[i];
    if (chunk.n_tokens() <= 0 || chunk.start_pos < 0)
      throw InputError("cost model: chunk " + std::to_string(i) + " has " + std::to_string(chunk.n_tokens()) +
                       " tokens at start position " + std::to_string(chunk.start_pos) +
                       " (needs >= 1 token at a position >= 0)");
    const double start = double(chunk.start_pos), end = double(chunk.end_pos()), n = double(chunk.n_tokens());
    totals.tokens += n;
    if (chunk.sample) totals.sampled_rows += 1;
    totals.causal_pairs += (end * (end + 1) - start * (start + 1)) / 2;
    totals.context_tokens += end;
    totals.score_elements += n * end;
  }
  return totals;
}

// Builds the op list of one step; one method per op family.
class StepOpCounter {
 public:
  StepOpCounter(const PlanTotals& plan, const ModelConfig& model, const Precision& precision)
      : tokens_(plan.tokens),
        plan_(plan),
        hidden_(double(model.hidden)),
        q_dim_(double(model.q_dim())),
        kv_dim_(double(model.kv_dim())),
        ffn_(double(model.ffn)),
        n_heads_(double(model.n_heads)),
        head_dim_(double(model.head_dim)),
        vocab_(double(model.vocab)),
        act_(double(precision.activation_bytes)),
        precision_(precision),
        n_layers_(model.n_layers) {}

  std::vector<OpCount> ops;

  // Token ids (int32) in, embedding rows gathered, residual stream out.
  void embedding() {
    add({.name = "embedding", .bytes = tokens_ * 4 + tokens_ * hidden_ * kFp16Bytes + tokens_ * hidden_ * act_});
  }

  // Plain RMSNorm: x in, weight, normed x out (as the next GEMM reads it: `output_bytes`).
  void rmsnorm(const char* name, int64_t calls, double output_bytes) {
    add({.name = name,
         .calls = calls,
         .vector_flops = 4 * tokens_ * hidden_,
         .bytes = tokens_ * hidden_ * act_ + hidden_ * kFp16Bytes + tokens_ * hidden_ * output_bytes});
  }

  // Fused residual add + RMSNorm: residual and branch in, new residual out (unless it is dead, after
  // the last layer), normed row out.
  void add_rmsnorm(const char* name, int64_t calls, bool writes_residual, double output_bytes) {
    add({.name = name,
         .calls = calls,
         .vector_flops = tokens_ * hidden_ + 4 * tokens_ * hidden_,
         .bytes = 2 * tokens_ * hidden_ * act_ + hidden_ * kFp16Bytes + (writes_residual ? tokens_ * hidden_ * act_ : 0) +
                  tokens_ * hidden_ * output_bytes});
  }

  // A transformer-layer linear layer [out_features, in_features] over all T rows.
  void linear(const char* name, int64_t in_features_count, int64_t out_features_count) {
    const double in_features = double(in_features_count), out_features = double(out_features_count);
    add({.name = name,
         .calls = layers(),
         .tensor_flops = 2 * tokens_ * in_features * out_features,
         .tensor_math = precision_.linear_math,
         .bytes = in_features * out_features * double(precision_.weight_bytes) +
                  out_features * double(precision_.weight_scale_bytes) +
                  tokens_ * in_features * double(precision_.gemm_input_bytes) + tokens_ * out_features * act_});
  }

  // Separate RoPE kernel: q and k in, rotated q and k out.
  void rope() {
    add({.name = "rope",
         .calls = layers(),
         .vector_flops = 3 * tokens_ * (q_dim_ + kv_dim_),
         .bytes = 2 * tokens_ * (q_dim_ + kv_dim_) * act_});
  }

  void attention(KernelSet kernels) {
    const double kv_bytes = double(precision_.kv_bytes);
    const double scores = n_heads_ * plan_.causal_pairs;
    OpCount op{.name = "attention", .calls = layers()};
    op.tensor_flops = 2 * 2 * head_dim_ * scores;  // QK^T and PV, 2 FLOPs per multiply-add each
    op.vector_flops = 5 * scores;                   // softmax
    op.bytes = tokens_ * (q_dim_ + 2 * kv_dim_) * act_            // new q, k, v
               + tokens_ * 2 * kv_dim_ * kv_bytes                 // new K, V written to the cache
               + plan_.context_tokens * 2 * kv_dim_ * kv_bytes  // K, V of every context token read
               + tokens_ * q_dim_ * double(precision_.gemm_input_bytes);  // O, read by o_proj
    if (kernels == KernelSet::fused) {
      op.vector_flops += 3 * tokens_ * (q_dim_ + kv_dim_);  // RoPE in the prologue
    } else {
      op.bytes += 4 * n_heads_ * plan_.score_elements * 4;  // fp32 S written, read; P written, read
    }
    add(op);
  }

  // Separate residual add: residual and branch in, sum out.
  void residual_add(int64_t calls) {
    add({.name = "residual_add", .calls = calls, .vector_flops = tokens_ * hidden_, .bytes = 3 * tokens_ * hidden_ * act_});
  }

  void silu() {
    add({.name = "silu", .calls = layers(), .vector_flops = 4 * tokens_ * ffn_, .bytes = 2 * tokens_ * ffn_ * act_});
  }

  // silu(gate) * up, read by the down GEMM.
  void mul() {
    add({.name = "mul",
         .calls = layers(),
         .vector_flops = tokens_ * ffn_,
         .bytes = 2 * tokens_ * ffn_ * act_ + tokens_ * ffn_ * double(precision_.gemm_input_bytes)});
  }

  // Fused kernel: [gate | up] in, silu(gate) * up out.
  void silu_mul() {
    add({.name = "silu_mul",
         .calls = layers(),
         .vector_flops = 5 * tokens_ * ffn_,
         .bytes = 2 * tokens_ * ffn_ * act_ + tokens_ * ffn_ * double(precision_.gemm_input_bytes)});
  }

  // Logits of the sampling rows only; fp16 weights and math, fp32 logits. No launch when no row samples.
  void lm_head() {
    const double rows = plan_.sampled_rows;
    if (rows == 0) return;
    add({.name = "lm_head",
         .tensor_flops = 2 * rows * hidden_ * vocab_,
         .bytes = vocab_ * hidden_ * kFp16Bytes + rows * hidden_ * act_ + rows * vocab_ * 4});
  }

 private:
  int64_t layers() const { return n_layers_; }
  void add(OpCount op) { ops.push_back(std::move(op)); }

  const double tokens_;  // T
  const PlanTotals plan_;
  const double hidden_, q_dim_, kv_dim_, ffn_, n_heads_, head_dim_, vocab_;
  const double act_;  // activation bytes
  const Precision precision_;
  const int64_t n_layers_;
};

}  // namespace

std::vector<OpCount> count_step_ops(const BatchPlan& plan, const ModelConfig& model, const Precision& precision,
                                    KernelSet kernels) {
  const PlanTotals totals = plan_totals(plan);
  StepOpCounter counter(totals, model, precision);
  const double gemm_in = double(precision.gemm_input_bytes);
  const int64_t hidden = model.hidden, q_dim = model.q_dim(), kv_dim = model.kv_dim(), ffn = model.ffn;

  counter.embedding();
  if (kernels == KernelSet::naive) {
    counter.rmsnorm("attn_norm", model.n_layers, gemm_in);
    counter.linear("q_proj", hidden, q_dim);
    counter.linear("k_proj", hidden, kv_dim);
    counter.linear("v_proj", hidden, kv_dim);
    counter.rope();
    counter.attention(kernels);
    counter.linear("o_proj", q_dim, hidden);
    counter.residual_add(2 * model.n_layers);  // after attention and after the MLP
    counter.rmsnorm("mlp_norm", model.n_layers, gemm_in);
    counter.linear("gate_proj", hidden, ffn);
    counter.linear("up_proj", hidden, ffn);
    counter.silu();
    counter.mul();
    counter.linear("down_proj", ffn, hidden);
    counter.rmsnorm("final_norm", 1, double(kFp16Bytes));  // the LM head reads fp16
  } else {
    counter.rmsnorm("attn_norm", 1, gemm_in);  // layer 0: nothing to add yet
    if (model.n_layers > 1) counter.add_rmsnorm("add_attn_norm", model.n_layers - 1, true, gemm_in);
    counter.linear("qkv_proj", hidden, q_dim + 2 * kv_dim);
    counter.attention(kernels);
    counter.linear("o_proj", q_dim, hidden);
    counter.add_rmsnorm("add_mlp_norm", model.n_layers, true, gemm_in);
    counter.linear("gate_up_proj", hidden, 2 * ffn);
    counter.silu_mul();
    counter.linear("down_proj", ffn, hidden);
    counter.add_rmsnorm("add_final_norm", 1, false, double(kFp16Bytes));
  }
  counter.lm_head();
  return std::move(counter.ops);
}

}  // namespace rooflm
