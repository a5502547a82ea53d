// Tests of the per-op cost model (engine/roofline/cost_model.h): hand counts of every op's FLOPs
// and bytes for the tiny model, and the properties the counting rules promise.
// Run: build/tests/rooflm_unit_tests --gtest_filter='RooflineCostModel*' (from the repo root).
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/roofline/cost_model.h"
#include "tests/unit/written_out_tiny_model.h"

namespace rooflm {
namespace {

ModelConfig tiny_model() { return test::written_out_tiny_model(); }

// The cost model's rows for the recipe of (kernels, precision, kv dtype), or of a whole variant.
std::vector<OpCount> count_ops(const BatchPlan& plan, const ModelConfig& model, const Variant& v) {
  return count_step_ops(plan, build_step_program(model, v));
}
std::vector<OpCount> count_ops(const BatchPlan& plan, const ModelConfig& model, Precision precision, KernelSet kernels,
                               DType kv_dtype = DType::f16) {
  Variant v;
  v.backend = BackendKind::sim;
  v.kernels = kernels;
  v.precision = precision;
  v.kv_dtype = kv_dtype;
  return count_ops(plan, model, v);
}

SeqChunk chunk(SeqId seq, int64_t start_pos, int64_t n_tokens, bool sample) {
  SeqChunk c;
  c.seq = seq;
  c.start_pos = start_pos;
  c.tokens.assign(size_t(n_tokens), 1);
  c.sample = sample;
  c.is_prefill = start_pos == 0 && n_tokens > 1;
  return c;
}

// One 8-token prefill chunk (sampling its first output token) and one decode token at position 20.
BatchPlan prefill_and_decode_plan() {
  BatchPlan plan;
  plan.chunks = {chunk(0, 0, 8, true), chunk(1, 20, 1, true)};
  return plan;
}

// Hand-counted shape of the plan above for the tiny model.
constexpr double T = 9;       // tokens: 8 + 1
constexpr double S = 2;       // sampling rows: both chunks sample
constexpr double h = 256, q = 4 * 64, kv = 2 * 64, f = 768, H = 4, d = 64, V = 2048;
constexpr double L = 4;
constexpr double pairs = (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8) + 21;  // causal (query, key) pairs: 36 + 21
constexpr double context = 8 + 21;                              // KV tokens read back
constexpr double rectangle = 8 * 8 + 1 * 21;                    // naive S elements per head
constexpr double a = 2;                                         // fp16 bytes

struct Expected {
  double calls, tensor_flops, vector_flops, bytes;
};

std::map<std::string, OpCount> by_name(const std::vector<OpCount>& ops) {
  std::map<std::string, OpCount> map;
  for (const OpCount& op : ops) map[op.name] = op;
  return map;
}

void expect_ops(const std::vector<OpCount>& ops, const std::vector<std::pair<std::string, Expected>>& expected) {
  ASSERT_EQ(ops.size(), expected.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    SCOPED_TRACE(expected[i].first);
    EXPECT_EQ(ops[i].name, expected[i].first);
    EXPECT_EQ(double(ops[i].calls), expected[i].second.calls);
    EXPECT_DOUBLE_EQ(ops[i].tensor_flops, expected[i].second.tensor_flops);
    EXPECT_DOUBLE_EQ(ops[i].vector_flops, expected[i].second.vector_flops);
    EXPECT_DOUBLE_EQ(ops[i].bytes, expected[i].second.bytes);
  }
}

// A linear layer [out, in] over all T rows, fp16: weights, input, output.
Expected fp16_linear(double in, double out) {
  return {L, 2 * T * in * out, 0, in * out * a + T * in * a + T * out * a};
}

TEST(RooflineCostModel, HandCountsOfEveryNaiveOp) {
  const std::vector<OpCount> ops =
      count_ops(prefill_and_decode_plan(), tiny_model(), Precision::fp16, KernelSet::naive);
  const Expected norm = {L, 0, 4 * T * h, T * h * a + h * a + T * h * a};
  expect_ops(ops, {
      {"embedding", {1, 0, 0, T * 4 + T * h * a + T * h * a}},  // ids, rows gathered, rows written
      {"attn_norm", norm},
      {"q_proj", fp16_linear(h, q)},
      {"k_proj", fp16_linear(h, kv)},
      {"v_proj", fp16_linear(h, kv)},
      {"rope", {L, 0, 3 * T * (q + kv), 2 * T * (q + kv) * a}},
      {"attention",
       {L, 2 * 2 * d * H * pairs, 5 * H * pairs,
        T * (q + 2 * kv) * a          // new q, k, v
            + T * 2 * kv * a          // new K, V into the cache
            + context * 2 * kv * a    // K, V of every context token
            + T * q * a               // O
            + 4 * H * rectangle * 4}},  // fp32 S written + read, P written + read
      {"o_proj", fp16_linear(q, h)},
      {"residual_add", {2 * L, 0, T * h, 3 * T * h * a}},
      {"mlp_norm", norm},
      {"gate_proj", fp16_linear(h, f)},
      {"up_proj", fp16_linear(h, f)},
      {"silu", {L, 0, 4 * T * f, 2 * T * f * a}},
      {"mul", {L, 0, T * f, 3 * T * f * a}},
      {"down_proj", fp16_linear(f, h)},
      {"final_norm", {1, 0, 4 * T * h, T * h * a + h * a + T * h * a}},
      {"lm_head", {1, 2 * S * h * V, 0, V * h * a + S * h * a + S * V * 4}},  // fp32 logits
  });
  // The same numbers spelled out for two of them, as a check on the formulas above.
  EXPECT_DOUBLE_EQ(ops[5].bytes, 13824);  // rope: 2 * 9 * 384 * 2
  EXPECT_DOUBLE_EQ(ops[6].bytes, 9216 + 4608 + 14848 + 4608 + 5440);
}

TEST(RooflineCostModel, HandCountsOfEveryFusedOp) {
  const std::vector<OpCount> ops =
      count_ops(prefill_and_decode_plan(), tiny_model(), Precision::fp16, KernelSet::fused);
  // residual + branch in, new residual out, normed row out.
  const double add_norm_bytes = 2 * T * h * a + h * a + T * h * a + T * h * a;
  expect_ops(ops, {
      {"embedding", {1, 0, 0, T * 4 + T * h * a + T * h * a}},
      {"attn_norm", {1, 0, 4 * T * h, T * h * a + h * a + T * h * a}},  // layer 0
      {"qkv_proj", fp16_linear(h, q + 2 * kv)},
      {"attention",
       {L, 2 * 2 * d * H * pairs, 5 * H * pairs + 3 * T * (q + kv),  // softmax + RoPE prologue
        T * (q + 2 * kv) * a + T * 2 * kv * a + context * 2 * kv * a + T * q * a}},
      {"o_proj", fp16_linear(q, h)},
      {"add_mlp_norm", {L, 0, 5 * T * h, add_norm_bytes}},
      // [gate | up] weights, SiLU * up in its epilogue: only silu(gate) * up [T, f] is stored
      {"gate_up_proj", {L, 2 * T * h * 2 * f, 5 * T * f, h * 2 * f * a + T * h * a + T * f * a}},
      {"down_proj", fp16_linear(f, h)},
      {"add_attn_norm", {L - 1, 0, 5 * T * h, add_norm_bytes}},  // layers 1..3, first seen after layer 0
      {"add_final_norm", {1, 0, 5 * T * h, 2 * T * h * a + h * a + T * h * a}},  // residual is dead
      {"lm_head", {1, 2 * S * h * V, 0, V * h * a + S * h * a + S * V * 4}},
  });
  EXPECT_DOUBLE_EQ(ops[3].bytes, 9216 + 4608 + 14848 + 4608);
}

TEST(RooflineCostModel, NaiveAttentionMovesMoreBytesThanFusedForTheSameMatrixFlops) {
  BatchPlan prefill;
  prefill.chunks = {chunk(0, 0, 512, true)};
  const ModelConfig model = tiny_model();
  const auto naive = by_name(count_ops(prefill, model, Precision::fp16, KernelSet::naive));
  const auto fused = by_name(count_ops(prefill, model, Precision::fp16, KernelSet::fused));
  EXPECT_DOUBLE_EQ(naive.at("attention").tensor_flops, fused.at("attention").tensor_flops);
  // The difference is exactly the fp32 S and P round trips: 4 passes of H * 512 * 512 * 4 bytes.
  EXPECT_DOUBLE_EQ(naive.at("attention").bytes - fused.at("attention").bytes, 4 * H * 512 * 512 * 4);
}

TEST(RooflineCostModel, MidPromptChunkComputesNoLogits) {
  const ModelConfig model = tiny_model();
  BatchPlan mid_prompt;
  mid_prompt.chunks = {chunk(0, 0, 16, false)};
  for (KernelSet kernels : {KernelSet::naive, KernelSet::fused})
    EXPECT_EQ(by_name(count_ops(mid_prompt, model, Precision::fp16, kernels)).count("lm_head"), 0u);

  BatchPlan mixed;  // a mid-prompt chunk and the final chunk of another prompt: one logits row
  mixed.chunks = {chunk(0, 0, 16, false), chunk(1, 16, 16, true)};
  const OpCount lm_head = by_name(count_ops(mixed, model, Precision::fp16, KernelSet::fused)).at("lm_head");
  EXPECT_DOUBLE_EQ(lm_head.tensor_flops, 2 * 1 * h * V);
}

TEST(RooflineCostModel, WeightsAreReadOncePerStepWhateverTheBatch) {
  const ModelConfig model = tiny_model();
  BatchPlan one, eight;
  one.chunks = {chunk(0, 100, 1, true)};
  for (int i = 0; i < 8; ++i) eight.chunks.push_back(chunk(i, 100, 1, true));
  const auto ops_one = by_name(count_ops(one, model, Precision::fp16, KernelSet::fused));
  const auto ops_eight = by_name(count_ops(eight, model, Precision::fp16, KernelSet::fused));
  // 7 more rows of input (h) and output (q + 2 kv) activations; the weight bytes do not repeat.
  EXPECT_DOUBLE_EQ(ops_eight.at("qkv_proj").bytes - ops_one.at("qkv_proj").bytes, 7 * (h + q + 2 * kv) * a);
  EXPECT_DOUBLE_EQ(ops_eight.at("qkv_proj").tensor_flops, 8 * ops_one.at("qkv_proj").tensor_flops);
}

TEST(RooflineCostModel, QuantisedPrecisionsChangeWeightAndInputBytesAndThePeak) {
  const ModelConfig model = tiny_model();
  const BatchPlan plan = prefill_and_decode_plan();
  const auto w8a16 = by_name(count_ops(plan, model, Precision::int8, KernelSet::fused));
  const auto w8a8 = by_name(count_ops(plan, model, Precision::w8a8, KernelSet::fused));
  // int8 weights + one fp16 scale per output channel; W8A16 reads fp16 inputs, w8a8 int8 ones with
  // one fp32 scale per token.
  EXPECT_DOUBLE_EQ(w8a16.at("o_proj").bytes, q * h * 1 + h * 2 + T * q * a + T * h * a);
  EXPECT_DOUBLE_EQ(w8a8.at("o_proj").bytes, q * h * 1 + h * 2 + T * q * 1 + T * 4 + T * h * a);
  EXPECT_EQ(w8a16.at("o_proj").tensor_math, TensorMath::fp16);
  EXPECT_EQ(w8a8.at("o_proj").tensor_math, TensorMath::int8);
  // The LM head and attention stay fp16 in every precision.
  EXPECT_EQ(w8a8.at("lm_head").tensor_math, TensorMath::fp16);
  EXPECT_EQ(w8a8.at("attention").tensor_math, TensorMath::fp16);
  EXPECT_DOUBLE_EQ(w8a8.at("lm_head").bytes, V * h * a + S * h * a + S * V * 4);
  // The producers of GEMM inputs write them in int8 under w8a8, with their per-token scales.
  EXPECT_DOUBLE_EQ(w8a8.at("silu_mul").bytes, 2 * T * f * a + T * f * 1 + T * 4);
  EXPECT_DOUBLE_EQ(w8a8.at("add_mlp_norm").bytes, 2 * T * h * a + h * a + T * h * a + T * h * 1 + T * 4);
  EXPECT_DOUBLE_EQ(w8a8.at("attention").bytes - by_name(count_ops(plan, model, Precision::fp16, KernelSet::fused))
                                                     .at("attention").bytes,
                   -T * q * 1 + T * 4);  // O in int8 (1 byte instead of 2) + its scales
}

TEST(RooflineCostModel, Fp8CountsE4m3WeightsAndInputsWithFp32ScalesAtTheFp8Peak) {
  const ModelConfig model = tiny_model();
  const BatchPlan plan = prefill_and_decode_plan();
  const auto fp8 = by_name(count_ops(plan, model, Precision::fp8, KernelSet::fused));
  EXPECT_DOUBLE_EQ(fp8.at("o_proj").bytes, q * h * 1 + h * 4 + T * q * 1 + T * 4 + T * h * a);
  EXPECT_DOUBLE_EQ(fp8.at("qkv_proj").bytes, (q + 2 * kv) * h * 1 + (q + 2 * kv) * 4 + T * h * 1 + T * 4 +
                                                 T * (q + 2 * kv) * a);
  EXPECT_EQ(fp8.at("down_proj").tensor_math, TensorMath::fp8);
  EXPECT_EQ(fp8.at("lm_head").tensor_math, TensorMath::fp16);
  EXPECT_DOUBLE_EQ(fp8.at("silu_mul").bytes, 2 * T * f * a + T * f * 1 + T * 4);
  // Timed at the fp8 peak on Hopper; refused, naming the GPU, where the spec has none.
  const StepCost h100 = time_step(count_ops(plan, model, Precision::fp8, KernelSet::fused), gpu_spec("h100-sxm"));
  for (const OpCost& op : h100.ops)
    if (op.count.name == "down_proj")
      EXPECT_DOUBLE_EQ(op.compute_seconds, op.count.tensor_flops / 1979e12);
  try {
    time_step(count_ops(plan, model, Precision::fp8, KernelSet::fused), gpu_spec("a100-80gb"));
    FAIL() << "an A100 has no fp8 tensor cores";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("GPU a100-80gb"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no fp8 tensor peak"), std::string::npos) << e.what();
  }
}

TEST(RooflineCostModel, WeightScalesAreCountedPerGroupPerTensorAndStaticInputScalesOnce) {
  const ModelConfig model = tiny_model();
  const BatchPlan plan = prefill_and_decode_plan();
  Variant v;
  v.backend = BackendKind::sim;
  v.precision = Precision::int8;
  v.weight_scales = WeightScales::group;
  v.weight_group_size = 64;
  const auto group = by_name(count_ops(plan, model, v));
  EXPECT_DOUBLE_EQ(group.at("o_proj").bytes, q * h * 1 + h * (q / 64) * 2 + T * q * a + T * h * a);
  EXPECT_DOUBLE_EQ(group.at("down_proj").bytes, f * h * 1 + h * (f / 64) * 2 + T * f * a + T * h * a);
  v.weight_scales = WeightScales::tensor;
  EXPECT_DOUBLE_EQ(by_name(count_ops(plan, model, v)).at("o_proj").bytes, q * h * 1 + 2 + T * q * a + T * h * a);
  // Static activation scales: the GEMM and the producer each read the one fp32 scale.
  v.precision = Precision::w8a8;
  v.activation_scales = ActivationScales::static_calibrated;
  const auto fixed = by_name(count_ops(plan, model, v));
  EXPECT_DOUBLE_EQ(fixed.at("o_proj").bytes, q * h * 1 + 2 + T * q * 1 + 4 + T * h * a);
  EXPECT_DOUBLE_EQ(fixed.at("silu_mul").bytes, 2 * T * f * a + T * f * 1 + 4);
}

TEST(RooflineCostModel, QuantisedDecodeMovesAboutHalfTheBytesOfFp16) {
  // Llama-2-7B batch-1 decode at context 64: the layers' weights are 98% of the bytes, so int8 /
  // fp8 weights (+ their scales, 2.7 MB) halve the step's bytes apart from the fp16 LM head (left
  // out of both sides) and the KV cache (34 MB, in both).
  const ModelConfig model = model_preset("llama2-7b");
  BatchPlan plan;
  plan.chunks = {chunk(0, 63, 1, true)};
  auto step_bytes = [&](Precision p) {
    double bytes = 0;
    for (const OpCount& op : count_ops(plan, model, p, KernelSet::fused)) bytes += op.bytes * double(op.calls);
    return bytes;
  };
  const double fp16 = step_bytes(Precision::fp16), lm_head = 32000.0 * 4096 * 2;
  for (Precision p : {Precision::int8, Precision::w8a8, Precision::fp8}) {
    SCOPED_TRACE(std::string(name(p)));
    const double ratio = (step_bytes(p) - lm_head) / (fp16 - lm_head);
    EXPECT_GT(ratio, 0.5);
    EXPECT_LT(ratio, 0.505);  // (6.476 GB + 2.7 MB + 34 MB) / (12.953 GB + 34 MB) = 0.5015
  }
}

TEST(RooflineCostModel, QuantisedKvCacheHalvesKvTrafficPlusItsScales) {
  const ModelConfig model = tiny_model();
  const BatchPlan plan = prefill_and_decode_plan();
  const auto fp16_kv = by_name(count_ops(plan, model, Precision::fp16, KernelSet::fused, DType::f16));
  const double kv_tokens = T + context;  // new KV written + context KV read
  const double kv_heads = kv / d;
  for (DType kv_dtype : {DType::i8, DType::f8e4m3}) {
    SCOPED_TRACE(std::string(dtype_name(kv_dtype)));
    const auto quant_kv = by_name(count_ops(plan, model, Precision::fp16, KernelSet::fused, kv_dtype));
    // fp16: 2 bytes per K and V element; int8 / fp8: 1 byte + one fp32 scale per (token, kv head) of K and of V
    const double fp16_traffic = kv_tokens * 2 * kv * 2, quant_traffic = kv_tokens * 2 * (kv * 1 + kv_heads * 4);
    EXPECT_DOUBLE_EQ(fp16_kv.at("attention").bytes - quant_kv.at("attention").bytes, fp16_traffic - quant_traffic);
    EXPECT_DOUBLE_EQ(quant_traffic / fp16_traffic, (d + 4) / (2 * d));  // 68 / 128 at head_dim 64
  }
}

TEST(RooflineCostModel, OpTimeIsTheMaxOfComputeAndMemoryTime) {
  GpuSpec gpu;
  gpu.memory_bandwidth_bytes_per_s = 1e12;
  gpu.fp16_tensor_flops_per_s = 100e12;
  gpu.int8_tensor_ops_per_s = 200e12;
  gpu.fp32_flops_per_s = 10e12;
  const std::vector<OpCount> ops = {
      {.name = "gemm", .calls = 2, .tensor_flops = 1e9, .bytes = 1e6},  // 10 us compute vs 1 us memory
      {.name = "int8_gemm", .tensor_flops = 1e9, .tensor_math = TensorMath::int8, .bytes = 1e6},  // 5 us vs 1 us
      {.name = "elementwise", .vector_flops = 1e6, .bytes = 1e7},       // 0.1 us compute vs 10 us memory
  };
  const StepCost step = time_step(ops, gpu);
  ASSERT_EQ(step.ops.size(), 3u);
  EXPECT_DOUBLE_EQ(step.ops[0].seconds, 1e-5);
  EXPECT_EQ(step.ops[0].bound, Bound::compute);
  EXPECT_DOUBLE_EQ(step.ops[0].total_seconds(), 2e-5);
  EXPECT_DOUBLE_EQ(step.ops[1].seconds, 5e-6);
  EXPECT_EQ(step.ops[1].bound, Bound::compute);
  EXPECT_DOUBLE_EQ(step.ops[2].seconds, 1e-5);
  EXPECT_DOUBLE_EQ(step.ops[2].compute_seconds, 1e-7);
  EXPECT_EQ(step.ops[2].bound, Bound::memory);
  EXPECT_DOUBLE_EQ(step.seconds, 2e-5 + 5e-6 + 1e-5);
  EXPECT_DOUBLE_EQ(step.flops, 2e9 + 1e9 + 1e6);
  EXPECT_DOUBLE_EQ(step.bytes, 2e6 + 1e6 + 1e7);
  EXPECT_DOUBLE_EQ(step.compute_bound_seconds, 2.5e-5);
  EXPECT_DOUBLE_EQ(step.memory_bound_seconds, 1e-5);
  EXPECT_EQ(step.bound, Bound::compute);
  EXPECT_EQ(step.to_json()["ops"][0]["bound"], "compute");
  EXPECT_DOUBLE_EQ(step.to_json()["ops"][0]["flops"].get<double>(), 2e9);
}

TEST(RooflineCostModel, RejectsEmptyPlansAndEmptyChunks) {
  const ModelConfig model = tiny_model();
  EXPECT_THROW(count_ops(BatchPlan{}, model, Precision::fp16, KernelSet::fused), InputError);
  BatchPlan empty_chunk;
  empty_chunk.chunks = {chunk(0, 0, 4, true), chunk(1, 5, 0, true)};
  try {
    count_ops(empty_chunk, model, Precision::fp16, KernelSet::fused);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("chunk 1 has 0 tokens"), std::string::npos) << error.what();
  }
}

TEST(RooflineCostModel, PrecisionDtypes) {
  const PrecisionDtypes w8a8 = precision_dtypes(Precision::w8a8, DType::i8);
  EXPECT_EQ(w8a8.weight_bytes(), 1);
  EXPECT_EQ(w8a8.weight_scales, (ScaleLayout{.grain = ScaleGrain::channel, .dtype = DType::f16}));
  EXPECT_EQ(w8a8.input_scales, (ScaleLayout{.grain = ScaleGrain::token, .dtype = DType::f32}));
  EXPECT_EQ(dtype_size(w8a8.gemm_input), 1u);
  EXPECT_EQ(w8a8.kv_bytes(), 1);
  EXPECT_EQ(w8a8.to_json()["activation_bytes"], 2);
  EXPECT_EQ(w8a8.to_json()["weight_scale_bytes"], 2);
  EXPECT_EQ(w8a8.to_json()["input_scales"], "token");
  const PrecisionDtypes fp8 = precision_dtypes(Precision::fp8);
  EXPECT_EQ(fp8.weight, DType::f8e4m3);
  EXPECT_EQ(fp8.gemm_input, DType::f8e4m3);
  EXPECT_EQ(fp8.math, TensorMath::fp8);
  EXPECT_EQ(fp8.weight_scales.dtype, DType::f32);
  EXPECT_FALSE(precision_dtypes(Precision::int8).input_scales.present());
  EXPECT_FALSE(precision_dtypes(Precision::fp16).weight_scales.present());
  // Group scales are weight-only: refused for the GEMMs that scale after the whole reduction.
  Variant v;
  v.weight_scales = WeightScales::group;
  for (Precision p : {Precision::w8a8, Precision::fp8}) {
    v.precision = p;
    EXPECT_THROW(precision_dtypes(v), InputError) << name(p);
  }
  v.precision = Precision::int8;
  v.weight_group_size = 32;
  EXPECT_EQ(precision_dtypes(v).weight_scales.count(10, 128), 40);
  v.weight_group_size = 0;
  EXPECT_THROW(precision_dtypes(v), InputError);
}

// A sliding window of W keys: query p sees min(p + 1, W) keys; a chunk reads the KV of
// [max(0, start - W + 1), end).
TEST(RooflineCostModel, SlidingWindowCountsOnlyTheKeysInTheWindow) {
  ModelConfig model = tiny_model();
  model.sliding_window = 4;
  BatchPlan plan;
  plan.chunks = {chunk(0, 0, 8, true), chunk(1, 20, 1, true)};
  const auto ops = by_name(count_ops(plan, model, Precision::fp16, KernelSet::fused));
  const double window_pairs = (1 + 2 + 3 + 4 + 4 + 4 + 4 + 4) + 4;  // positions 0..7, then position 20
  const double window_context = 8 + 4;                              // [0, 8) and [17, 21)
  EXPECT_DOUBLE_EQ(ops.at("attention").tensor_flops, 2 * 2 * d * H * window_pairs);
  EXPECT_DOUBLE_EQ(ops.at("attention").bytes,
                   T * (q + 2 * kv) * a + T * 2 * kv * a + window_context * 2 * kv * a + T * q * a);
}

// A Q/K/V bias adds its fp16 vector to each projection's bytes (Qwen2).
TEST(RooflineCostModel, QkvBiasAddsItsBytes) {
  ModelConfig model = tiny_model();
  const auto plain = by_name(count_ops(prefill_and_decode_plan(), model, Precision::fp16, KernelSet::naive));
  model.qkv_bias = true;
  const auto biased = by_name(count_ops(prefill_and_decode_plan(), model, Precision::fp16, KernelSet::naive));
  EXPECT_DOUBLE_EQ(biased.at("q_proj").bytes - plain.at("q_proj").bytes, q * 2);
  EXPECT_DOUBLE_EQ(biased.at("k_proj").bytes - plain.at("k_proj").bytes, kv * 2);
  EXPECT_DOUBLE_EQ(biased.at("o_proj").bytes, plain.at("o_proj").bytes);
}

}  // namespace
}  // namespace rooflm
