// Tests of the roofline calculator behind `rooflm roofline` (engine/roofline/roofline_calc.h),
// anchored on the seed article's Llama-2-7B on an A10 figures.
// Run: build/tests/rooflm_unit_tests --gtest_filter='RooflineCalc*' (from the repo root).
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/roofline/roofline_calc.h"

namespace rooflm {
namespace {

RooflineQuery llama2_on_a10() {
  RooflineQuery query;
  query.model = model_preset("llama2-7b");
  query.gpu = gpu_spec("a10");
  query.precision = Precision::fp16;
  query.kernels = KernelSet::fused;
  query.prompt_tokens = 350;
  query.output_tokens = 128;
  query.batch = 1;
  return query;
}

std::string roofline_error(const RooflineQuery& query) {
  try {
    compute_roofline(query);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(RooflineCalc, SeedExampleLlama2On7bA10) {
  const RooflineReport report = compute_roofline(llama2_on_a10());
  // ~2 * 6.5e9 linear parameters * 350 tokens / 125 TFLOP/s: the article's ~39 ms, compute bound.
  EXPECT_NEAR(report.prefill.seconds, 39e-3, 0.05 * 39e-3);
  EXPECT_EQ(report.prefill.bound, Bound::compute);
  // ~13.5 GB of fp16 weights / 600 GB/s per token: the article's ~23 ms, bandwidth bound.
  ASSERT_TRUE(report.decode.has_value());
  EXPECT_NEAR(report.decode->seconds, 23e-3, 0.05 * 23e-3);
  EXPECT_EQ(report.decode->bound, Bound::memory);
  EXPECT_EQ(report.kv_bytes_per_token, 512 * 1024);               // 0.5 MiB
  EXPECT_EQ(report.kv_bytes_per_max_sequence, 2LL * 1024 * 1024 * 1024);  // 2 GiB per 4096 tokens
}

TEST(RooflineCalc, DecodeStepSitsAtTheMeanContextAndThroughputFollows) {
  const RooflineReport report = compute_roofline(llama2_on_a10());
  // Decode steps attend over contexts 351 .. 477; the middle step (position 350 + 63) sees 414.
  EXPECT_EQ(report.decode_context_tokens, 414);
  EXPECT_EQ(report.sequence_tokens, 478);
  EXPECT_DOUBLE_EQ(report.end_to_end_seconds, report.prefill.seconds + 127 * report.decode->seconds);
  EXPECT_DOUBLE_EQ(report.output_tokens_per_s, 128 / report.end_to_end_seconds);
  EXPECT_DOUBLE_EQ(report.decode_tokens_per_s, 1 / report.decode->seconds);
  EXPECT_DOUBLE_EQ(report.prefill_tokens_per_s, 350 / report.prefill.seconds);
  // 24 GiB * 0.95 - weights, over 478 tokens of 0.5 MiB.
  const double budget = 24.0 * (1 << 30) * 0.95 - double(report.weight_bytes);
  EXPECT_EQ(report.max_batch, int64_t(budget / (478.0 * 512 * 1024)));
  EXPECT_EQ(report.max_batch_at_max_positions, int64_t(budget / (4096.0 * 512 * 1024)));
}

TEST(RooflineCalc, BatchedDecodeStaysMemoryBoundAndMultipliesThroughput) {
  RooflineQuery query = llama2_on_a10();
  const RooflineReport one = compute_roofline(query);
  query.batch = 8;
  const RooflineReport eight = compute_roofline(query);
  EXPECT_EQ(eight.decode->bound, Bound::memory);
  // The weights are read once for all 8 rows: the 7 extra rows add their KV reads (414 tokens of
  // 0.5 MiB each, 217 MB a row) and ~10 MB a row of activations over 32 layers, not 7 more copies
  // of the 13.5 GB of weights.
  const double extra_kv_bytes = 7 * 414 * 512.0 * 1024;
  EXPECT_GT(eight.decode->bytes - one.decode->bytes, extra_kv_bytes);
  EXPECT_LT(eight.decode->bytes - one.decode->bytes, 1.05 * extra_kv_bytes);
  EXPECT_GT(eight.decode_tokens_per_s, 7 * one.decode_tokens_per_s);
}

TEST(RooflineCalc, NaiveKernelsAreSlowerThanFused) {
  RooflineQuery query = llama2_on_a10();
  const RooflineReport fused = compute_roofline(query);
  query.kernels = KernelSet::naive;
  const RooflineReport naive = compute_roofline(query);
  EXPECT_GT(naive.prefill.bytes, fused.prefill.bytes);
  EXPECT_GT(naive.prefill.seconds, fused.prefill.seconds);
  EXPECT_GT(naive.decode->seconds, fused.decode->seconds);
  EXPECT_DOUBLE_EQ(naive.weight_bytes, fused.weight_bytes);
}

TEST(RooflineCalc, Int8WeightsSpeedUpMemoryBoundDecode) {
  RooflineQuery query = llama2_on_a10();
  const RooflineReport fp16 = compute_roofline(query);
  query.precision = Precision::int8;
  const RooflineReport int8 = compute_roofline(query);
  EXPECT_LT(int8.decode->seconds, 0.56 * fp16.decode->seconds);
  EXPECT_GT(int8.max_batch, fp16.max_batch);
}

TEST(RooflineCalc, SingleOutputTokenHasNoDecodeStep) {
  RooflineQuery query = llama2_on_a10();
  query.output_tokens = 1;
  const RooflineReport report = compute_roofline(query);
  EXPECT_FALSE(report.decode.has_value());
  EXPECT_DOUBLE_EQ(report.end_to_end_seconds, report.prefill.seconds);
  EXPECT_TRUE(report.to_json()["decode"].is_null());
  EXPECT_NE(report.to_text(false).find("decode   none"), std::string::npos);
}

TEST(RooflineCalc, BadWorkloadNamesTheOptionAndTheNumber) {
  RooflineQuery query = llama2_on_a10();
  query.prompt_tokens = 0;
  EXPECT_NE(roofline_error(query).find("--prompt must be >= 1, got 0"), std::string::npos) << roofline_error(query);
  query = llama2_on_a10();
  query.batch = -2;
  EXPECT_NE(roofline_error(query).find("--batch must be >= 1, got -2"), std::string::npos) << roofline_error(query);
  query = llama2_on_a10();
  query.prompt_tokens = 4000;
  query.output_tokens = 200;
  EXPECT_NE(roofline_error(query).find("= 4200 tokens exceeds the max_positions 4096"), std::string::npos)
      << roofline_error(query);
}

TEST(RooflineCalc, JsonAndTextCarryTheFigures) {
  const RooflineReport report = compute_roofline(llama2_on_a10());
  const nlohmann::json json = report.to_json();
  EXPECT_EQ(json["schema"], "rooflm.roofline/1");
  EXPECT_EQ(json["gpu"]["name"], "a10");
  EXPECT_EQ(json["kernels"], "fused");
  EXPECT_EQ(json["prefill"]["bound"], "compute");
  EXPECT_EQ(json["decode"]["bound"], "memory");
  EXPECT_EQ(json["decode"]["context_tokens"], 414);
  EXPECT_EQ(json["memory"]["kv_bytes_per_token"], 524288);
  EXPECT_DOUBLE_EQ(json["prefill"]["seconds"].get<double>(), report.prefill.seconds);
  EXPECT_EQ(json["prefill"]["ops"].size(), report.prefill.ops.size());

  const std::string text = report.to_text(true);
  EXPECT_NE(text.find("compute bound"), std::string::npos) << text;
  EXPECT_NE(text.find("memory bound"), std::string::npos) << text;
  EXPECT_NE(text.find("512.00 KiB/token"), std::string::npos) << text;
  EXPECT_NE(text.find("2.00 GiB per 4096-token sequence"), std::string::npos) << text;
  EXPECT_NE(text.find("qkv_proj"), std::string::npos) << text;  // the per-op table
  EXPECT_EQ(report.to_text(false).find("qkv_proj"), std::string::npos);
}

}  // namespace
}  // namespace rooflm
