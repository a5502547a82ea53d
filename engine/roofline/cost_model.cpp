// Per-op FLOP and byte counts of one engine step: one OpCount per StepProgram node (the counting
// rules are in cost_model.h), repetitions with equal counts merged into one row.
#include "engine/roofline/cost_model.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "common/kv_view.h"

namespace rooflm {
namespace {

// What attention needs to know about the plan for one sliding window, summed over its chunks.
struct AttentionTotals {
  double causal_pairs = 0;    // (query, key) pairs attention computes
  double context_tokens = 0;  // KV tokens read back
  double score_elements = 0;  // per head: the naive S / P rectangles, sum of n_tokens * end
};

// Sum over query positions p in [start, end) of the keys it sees: min(p + 1, window) (window 0: p + 1).
double visible_pairs(double start, double end, double window) {
  const double plain_end = window > 0 ? std::clamp(window, start, end) : end;  // p + 1 <= window below it
  const double plain = (plain_end * (plain_end + 1) - start * (start + 1)) / 2;
  return plain + (end - plain_end) * window;
}

AttentionTotals attention_totals(const BatchPlan& plan, int64_t window) {
  AttentionTotals totals;
  const double w = double(window);
  for (const SeqChunk& chunk : plan.chunks) {
    const double start = double(chunk.start_pos), end = double(chunk.end_pos()), n = double(chunk.n_tokens());
    totals.causal_pairs += visible_pairs(start, end, w);
    totals.context_tokens += window > 0 ? end - std::max(0.0, start - w + 1) : end;
    totals.score_elements += n * end;
  }
  return totals;
}

// Counts one node for the plan.
class NodeCounter {
 public:
  NodeCounter(const BatchPlan& plan, const ModelConfig& shard, int32_t ranks) : plan_(plan), m_(shard), ranks_(ranks) {
    if (plan.empty()) throw InputError("cost model: the batch plan has no chunks");
    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      const SeqChunk& chunk = plan.chunks[i];
      if (chunk.n_tokens() <= 0 || chunk.start_pos < 0)
        throw InputError("cost model: chunk " + std::to_string(i) + " has " + std::to_string(chunk.n_tokens()) +
                         " tokens at start position " + std::to_string(chunk.start_pos) +
                         " (needs >= 1 token at a position >= 0)");
      tokens_ += double(chunk.n_tokens());
      if (chunk.sample) sampled_rows_ += 1;
    }
  }

  double sampled_rows() const { return sampled_rows_; }

  OpCount count(const OpNode& op) {
    const double T = tokens_, H = double(m_.hidden), F = double(m_.ffn), QD = double(m_.q_dim()),
                 KD = double(m_.kv_dim()), act = double(kFp16Bytes), out = double(dtype_size(op.output_dtype));
    OpCount c{.name = op.name};
    switch (op.kind) {
      case OpKind::embedding:  // token ids (int32) in, embedding rows gathered, residual stream out
        c.bytes = T * 4 + T * H * kFp16Bytes + T * H * act;
        break;
      case OpKind::rmsnorm:  // x in, weight, normed x out (as its reader reads it, with its scales)
        c.vector_flops = 4 * T * H;
        c.bytes = T * H * act + H * kFp16Bytes + T * H * out + out_scales(op, H);
        break;
      case OpKind::add_rmsnorm:
        c.vector_flops = T * H + 4 * T * H;
        c.bytes = 2 * T * H * act + H * kFp16Bytes + (op.writes_residual ? T * H * act : 0) + T * H * out +
                  out_scales(op, H);
        break;
      case OpKind::residual_add:
        c.vector_flops = T * H;
        c.bytes = 3 * T * H * act;
        break;
      case OpKind::linear: {  // the weight slice's rows (silu_mul epilogue: gate and up, 2x the outputs)
        const double in_f = double(op.in_features), rows = double(op.weight.rows), out_f = double(op.out_features);
        c.tensor_flops = 2 * T * in_f * rows;
        c.tensor_math = op.math;
        c.bytes = in_f * rows * double(dtype_size(op.weight_dtype)) +
                  double(op.weight_scales.bytes(op.weight.rows, op.in_features)) +
                  (op.bias.present() ? rows * kFp16Bytes : 0) + T * in_f * double(dtype_size(op.input_dtype)) +
                  double(op.input_scales.bytes(int64_t(T), op.in_features)) + T * out_f * act;
        if (op.epilogue == LinearEpilogue::silu_mul) c.vector_flops = 5 * T * out_f;
        break;
      }
      case OpKind::rope:  // q and k in, rotated q and k out
        c.vector_flops = 3 * T * (QD + KD);
        c.bytes = 2 * T * (QD + KD) * act;
        break;
      case OpKind::attention: {
        const AttentionTotals& a = attention(op.window);
        // K and V of one token of this layer, as the pool stores them (codes and scales when quantised)
        const KvGeometry kv_token{.n_layers = 1, .n_kv_heads = m_.n_kv_heads, .head_dim = m_.head_dim,
                                  .dtype = op.kv_dtype};
        const double kv_token_bytes = double(kv_token.bytes_per_token_layer());
        const double scores = double(m_.n_heads) * a.causal_pairs;
        c.tensor_flops = 2 * 2 * double(m_.head_dim) * scores;  // QK^T and PV, 2 FLOPs per multiply-add each
        c.vector_flops = 5 * scores;                              // softmax
        c.bytes = T * (QD + 2 * KD) * act          // new q, k, v
                  + T * kv_token_bytes             // new K, V written to the cache
                  + a.context_tokens * kv_token_bytes  // K, V of every context token read
                  + T * QD * out + out_scales(op, QD);  // O (and its scales), read by o_proj
        if (op.rope_in_prologue) c.vector_flops += 3 * T * (QD + KD);
        if (op.scores_in_hbm) c.bytes += 4 * double(m_.n_heads) * a.score_elements * 4;  // fp32 S w+r, P w+r
        break;
      }
      case OpKind::silu:
        c.vector_flops = 4 * T * F;
        c.bytes = 2 * T * F * act;
        break;
      case OpKind::mul:  // silu(gate) * up, read by the down GEMM
        c.vector_flops = T * F;
        c.bytes = 2 * T * F * act + T * F * out + out_scales(op, F);
        break;
      case OpKind::silu_mul:  // [gate | up] in, silu(gate) * up out
        c.vector_flops = 5 * T * F;
        c.bytes = 2 * T * F * act + T * F * out + out_scales(op, F);
        break;
      case OpKind::all_reduce: {  // the fp16 branch [T, hidden] summed over N ranks (link time: time_step)
        const double N = double(ranks_), payload = T * H * act;
        c.vector_flops = (N - 1) / N * T * H;  // each rank sums its (N - 1) / N share of the elements
        c.bytes = 2 * payload;                   // the local buffer read and the result written
        c.all_reduce_bytes = payload;
        c.all_reduce_ranks = ranks_;
        break;
      }
      case OpKind::lm_head: {  // logits of the sampling rows only; fp16 weights and math, fp32 logits
        const double rows = sampled_rows_, vocab = double(op.out_features);
        c.tensor_flops = 2 * rows * H * vocab;
        c.bytes = vocab * H * kFp16Bytes + rows * H * act + rows * vocab * 4;
        break;
      }
    }
    return c;
  }

 private:
  // Bytes of the scales a producer of a quantised GEMM input [T, cols] moves: per token it writes
  // them, per tensor it reads the one static scale.
  double out_scales(const OpNode& op, double cols) const {
    return double(op.output_scales.bytes(int64_t(tokens_), int64_t(cols)));
  }

  const AttentionTotals& attention(int64_t window) {
    auto it = attention_.find(window);
    if (it == attention_.end()) it = attention_.emplace(window, attention_totals(plan_, window)).first;
    return it->second;
  }

  const BatchPlan& plan_;
  const ModelConfig& m_;  // one rank's shard (the model at tensor_parallel 1)
  const int32_t ranks_;
  double tokens_ = 0, sampled_rows_ = 0;
  std::map<int64_t, AttentionTotals> attention_;
};

bool same_counts(const OpCount& a, const OpCount& b) {
  return a.tensor_flops == b.tensor_flops && a.tensor_math == b.tensor_math && a.vector_flops == b.vector_flops &&
         a.bytes == b.bytes && a.all_reduce_bytes == b.all_reduce_bytes && a.all_reduce_ranks == b.all_reduce_ranks;
}

}  // namespace

std::vector<OpCount> count_step_ops(const BatchPlan& plan, const StepProgram& program) {
  NodeCounter counter(plan, program.shard, program.variant.tensor_parallel);
  std::vector<OpCount> ops;
  for (const OpNode& node : program.ops) {
    if (node.kind == OpKind::lm_head && counter.sampled_rows() == 0) continue;  // no launch without a sampling row
    OpCount c = counter.count(node);
    // A repetition of an earlier op with the same counts (the same op of another layer) is a call of it.
    auto same = std::find_if(ops.rbegin(), ops.rend(), [&](const OpCount& o) { return o.name == c.name; });
    if (same != ops.rend() && same_counts(*same, c))
      ++same->calls;
    else
      ops.push_back(std::move(c));
  }
  return ops;
}

}  // namespace rooflm
