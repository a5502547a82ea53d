// Tensor parallelism in the recipe, the cost model and the roofline (issue 16): one rank's shard
// (tensor_shard.h), the all-reduce after each row-parallel projection, its ring traffic on the GPU
// spec's interconnect, per-GPU memory, and the backends that run one rank refusing more.
// Run: build/tests/rooflm_unit_tests --gtest_filter='TensorParallel*'
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/error.h"
#include "engine/backend/backend.h"
#include "engine/model/step_program.h"
#include "engine/model/tensor_shard.h"
#include "engine/roofline/cost_model.h"
#include "engine/roofline/roofline_calc.h"
#include "tests/unit/input_error_message.h"

namespace rooflm {
namespace {

Variant with_ranks(int32_t ranks, KernelSet kernels = KernelSet::fused) {
  Variant v;
  v.kernels = kernels;
  v.tensor_parallel = ranks;
  return v;
}

std::vector<std::string> names_of(const StepProgram& p, int32_t layer) {
  std::vector<std::string> names;
  for (const OpNode& op : p.ops)
    if (op.layer == layer) names.push_back(op.name);
  return names;
}

const OpNode& node(const StepProgram& p, const std::string& name) {
  return *std::find_if(p.ops.begin(), p.ops.end(), [&](const OpNode& op) { return op.name == name; });
}

TEST(TensorParallel, ShardSplitsHeadsAndMlpColumnsAndReplicatesKvHeadsInWholeGroups) {
  const ModelConfig llama = model_preset("llama2-7b");  // 32 heads, 32 KV heads, ffn 11008
  const ModelConfig two = tensor_shard(llama, 2);
  EXPECT_EQ(two.n_heads, 16);
  EXPECT_EQ(two.n_kv_heads, 16);
  EXPECT_EQ(two.ffn, 5504);
  EXPECT_EQ(two.hidden, llama.hidden);
  EXPECT_EQ(two.vocab, llama.vocab);
  EXPECT_EQ(two.n_layers, llama.n_layers);
  const ModelConfig gqa = model_preset("llama3-8b");  // 32 heads, 8 KV heads
  EXPECT_EQ(tensor_shard(gqa, 8).n_heads, 4);
  EXPECT_EQ(tensor_shard(gqa, 8).n_kv_heads, 1);
  const ModelConfig tiny = model_preset("tiny");  // 4 heads, 2 KV heads
  const ModelConfig four = tensor_shard(tiny, 4);  // more ranks than KV heads: one each, replicated
  EXPECT_EQ(four.n_heads, 1);
  EXPECT_EQ(four.n_kv_heads, 1);
  EXPECT_NO_THROW(four.validate());
  EXPECT_EQ(tensor_shard(tiny, 1).n_heads, tiny.n_heads);

  const std::string heads = test::input_error_message([&] { tensor_shard(llama, 3); });
  EXPECT_NE(heads.find("engine.tensor_parallel = 3: model llama2-7b has n_heads = 32, not a multiple of 3"),
            std::string::npos) << heads;
  ModelConfig odd_ffn = llama;
  odd_ffn.ffn = 11006;
  EXPECT_NE(test::input_error_message([&] { tensor_shard(odd_ffn, 4); }).find("ffn = 11006, not a multiple of 4"),
            std::string::npos);
  ModelConfig six_kv = llama;
  six_kv.n_heads = 24;
  six_kv.n_kv_heads = 6;
  six_kv.hidden = 3072;
  const std::string kv = test::input_error_message([&] { tensor_shard(six_kv, 4); });
  EXPECT_NE(kv.find("n_kv_heads = 6: 4 ranks must divide it or be a multiple of it"), std::string::npos) << kv;
}

TEST(TensorParallel, RecipeWritesOneRanksOpsWithAnAllReduceAfterEachRowParallelProjection) {
  const ModelConfig tiny = model_preset("tiny");  // hidden 256, 4 heads, 2 KV heads, head_dim 64
  const StepProgram one = build_step_program(tiny, with_ranks(1));
  const StepProgram two = build_step_program(tiny, with_ranks(2));
  EXPECT_EQ(two.model.n_heads, 4);  // the model stays whole; the shard is the rank's
  EXPECT_EQ(two.shard.n_heads, 2);
  EXPECT_EQ(std::count_if(one.ops.begin(), one.ops.end(), [](const OpNode& op) { return op.kind == OpKind::all_reduce; }),
            0);
  EXPECT_EQ(names_of(two, 1), (std::vector<std::string>{"add_attn_norm", "qkv_proj", "attention", "o_proj",
                                                        "attn_all_reduce", "add_mlp_norm", "gate_up_proj", "down_proj",
                                                        "mlp_all_reduce"}));
  EXPECT_EQ(node(two, "qkv_proj").out_features, (2 + 2 * 1) * 64);  // 2 query heads, 1 KV head per rank
  EXPECT_EQ(node(two, "o_proj").in_features, 2 * 64);
  EXPECT_EQ(node(two, "o_proj").out_features, 256);                  // partial sums of the whole row
  EXPECT_EQ(node(two, "gate_up_proj").weight.rows, tiny.ffn);        // 2 x ffn / 2
  EXPECT_EQ(node(two, "down_proj").in_features, tiny.ffn / 2);
  EXPECT_EQ(node(two, "lm_head").out_features, tiny.vocab);          // replicated
  const OpNode& reduce = node(two, "mlp_all_reduce");
  EXPECT_EQ(reduce.kind, OpKind::all_reduce);
  EXPECT_EQ(reduce.in, Act::branch);
  EXPECT_EQ(reduce.out, Act::branch);
  const StepProgram naive = build_step_program(tiny, with_ranks(2, KernelSet::naive));
  const std::vector<std::string> layer = names_of(naive, 1);
  const auto at = [&](const char* name) { return std::find(layer.begin(), layer.end(), name) - layer.begin(); };
  EXPECT_EQ(at("attn_all_reduce"), at("o_proj") + 1);
  EXPECT_EQ(at("mlp_all_reduce"), at("down_proj") + 1);
}

BatchPlan decode_plan(int32_t seqs, int64_t position) {
  BatchPlan plan;
  for (int32_t s = 0; s < seqs; ++s) {
    SeqChunk chunk;
    chunk.seq = s;
    chunk.start_pos = position;
    chunk.tokens = {1};
    chunk.sample = true;
    plan.chunks.push_back(chunk);
  }
  return plan;
}

TEST(TensorParallel, AllReduceIsARingOnTheInterconnectAndEveryOtherCountIsOneRanks) {
  const ModelConfig llama = model_preset("llama2-7b");
  const BatchPlan plan = decode_plan(8, 1000);
  const GpuSpec h200 = gpu_spec("h200");
  ASSERT_TRUE(h200.interconnect.has_value());
  EXPECT_EQ(h200.interconnect->kind, "nvlink");
  for (const int32_t ranks : {2, 4, 8}) {
    SCOPED_TRACE(ranks);
    const StepCost one = step_cost(plan, build_step_program(llama, with_ranks(1)), h200);
    const StepCost many = step_cost(plan, build_step_program(llama, with_ranks(ranks)), h200);
    const auto op = [](const StepCost& c, const char* name) {
      return *std::find_if(c.ops.begin(), c.ops.end(), [&](const OpCost& o) { return o.count.name == name; });
    };
    const OpCost reduce = op(many, "mlp_all_reduce");
    const double N = ranks, payload = 8 * 4096 * 2.0;  // T x hidden x fp16
    EXPECT_EQ(reduce.count.calls, 32);
    EXPECT_DOUBLE_EQ(reduce.count.all_reduce_bytes, payload);
    EXPECT_EQ(reduce.count.all_reduce_ranks, ranks);
    EXPECT_DOUBLE_EQ(reduce.count.bytes, 2 * payload);
    // 64 KiB: the one-shot (one latency step) beats the ring's 2 (N - 1) steps
    EXPECT_STREQ(reduce.all_reduce_algorithm, "one_shot");
    EXPECT_DOUBLE_EQ(reduce.link_bytes, (N - 1) * payload);
    EXPECT_DOUBLE_EQ(reduce.link_seconds, (N - 1) * payload / 450e9 + 2e-6);
    EXPECT_EQ(reduce.bound, Bound::interconnect);
    // The projections stream 1/N of the weights on each GPU.
    EXPECT_NEAR(op(many, "gate_up_proj").count.bytes / op(one, "gate_up_proj").count.bytes, 1 / N, 1e-3);
    EXPECT_NEAR(op(many, "attention").count.bytes / op(one, "attention").count.bytes, 1 / N, 1e-3);
    EXPECT_GT(many.interconnect_bound_seconds, 0);
    EXPECT_LT(many.seconds, one.seconds);
  }
  // A prefill-sized buffer (4096 tokens, 32 MiB) goes the bandwidth-optimal ring.
  BatchPlan long_prompt;
  SeqChunk chunk;
  chunk.tokens.assign(4096, 1);
  chunk.sample = true;
  long_prompt.chunks = {chunk};
  const StepCost big = step_cost(long_prompt, build_step_program(llama, with_ranks(8)), h200);
  const auto big_reduce = std::find_if(big.ops.begin(), big.ops.end(), [](const OpCost& o) { return o.count.name == "attn_all_reduce"; });
  ASSERT_NE(big_reduce, big.ops.end());
  EXPECT_STREQ(big_reduce->all_reduce_algorithm, "ring");
  EXPECT_DOUBLE_EQ(big_reduce->link_bytes, 2 * 7.0 / 8 * 4096 * 4096 * 2);
  GpuSpec bare = h200;
  bare.interconnect.reset();
  const std::string message =
      test::input_error_message([&] { step_cost(plan, build_step_program(llama, with_ranks(2)), bare); });
  EXPECT_NE(message.find("op attn_all_reduce is an all-reduce across tensor-parallel ranks, but GPU h200"),
            std::string::npos) << message;
}

TEST(TensorParallel, RooflinePredictsScalingAndMemoryPerGpu) {
  RooflineQuery q;
  q.model = model_preset("llama2-7b");
  q.gpu = gpu_spec("h200");
  q.batch = 1;
  const RooflineReport one = compute_roofline(q);
  q.tensor_parallel = 2;
  const RooflineReport two = compute_roofline(q);
  q.tensor_parallel = 4;
  const RooflineReport four = compute_roofline(q);
  // Batch-1 decode streams the weights: half of the layers' per GPU, the whole LM head (replicated),
  // plus 64 small all-reduces a step (one-shot: ~2 us each on the spec's NVLink).
  const double ratio = two.decode->seconds / one.decode->seconds;
  EXPECT_GT(ratio, 0.5);
  EXPECT_LT(ratio, 0.6);
  EXPECT_NEAR(two.decode->interconnect_bound_seconds, 64 * (8 * 1024 * 1.0 / 450e9 + 2e-6), 1e-9);
  EXPECT_LT(four.decode->seconds, two.decode->seconds);
  EXPECT_EQ(two.kv_bytes_per_token * 2, one.kv_bytes_per_token);
  EXPECT_LT(two.weight_bytes, one.weight_bytes * 0.51 + 2 * 32000.0 * 4096 * 2);  // embedding + LM head whole
  EXPECT_GT(two.max_batch, 2 * one.max_batch);
  EXPECT_EQ(two.to_json()["tensor_parallel"], 2);
  const std::string text = two.to_text(true);
  EXPECT_NE(text.find("tensor parallel 2: every figure below is one GPU's; all-reduces over nvlink at 450 GB/s"),
            std::string::npos) << text;
  EXPECT_NE(text.find("attn_all_reduce"), std::string::npos);
}

TEST(TensorParallel, WhatRunsOneRankRefusesMore) {
  const std::string message = test::input_error_message([] { require_one_rank(with_ranks(2), "the cuda backend"); });
  EXPECT_NE(message.find("engine.tensor_parallel = 2: the cuda backend runs one rank so far; the cpu backend "
                         "(simulated ranks, one thread each) runs 2"),
            std::string::npos) << message;
  EXPECT_NO_THROW(require_one_rank(with_ranks(1), "the cuda backend"));
}

}  // namespace
}  // namespace rooflm
