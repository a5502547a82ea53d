// Tests of weight and KV-cache footprints and the largest batch that fits
// (engine/roofline/memory_model.h). Run: --gtest_filter='RooflineMemory*' from the repo root.
#include <cmath>

#include <gtest/gtest.h>

#include "engine/roofline/memory_model.h"
#include "tests/unit/written_out_tiny_model.h"

namespace rooflm {
namespace {

ModelConfig tiny_model() { return test::written_out_tiny_model(); }

constexpr int64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;

// Per layer: wq 256x256, wk and wv 128x256, wo 256x256, gate/up/down 768x256 each.
constexpr int64_t kTinyLinearElements = 256 * 256 + 2 * 128 * 256 + 256 * 256 + 3 * 768 * 256;  // 786432
constexpr int64_t kTinyOutputChannels = 256 + 2 * 128 + 256 + 2 * 768 + 256;                    // 2560
// Embedding and LM head 2048x256 and three norm vectors of 256 (two per layer, one final), fp16.
constexpr int64_t kTinyFp16OnlyBytes = 2 * 2048 * 256 * 2 + (4 * 2 + 1) * 256 * 2;

TEST(RooflineMemory, TinyWeightBytesByHand) {
  EXPECT_EQ(model_weight_bytes(tiny_model(), precision_dtypes(Precision::fp16)),
            4 * kTinyLinearElements * 2 + kTinyFp16OnlyBytes);  // 8393216
  EXPECT_EQ(model_weight_bytes(tiny_model(), precision_dtypes(Precision::int8)),
            4 * (kTinyLinearElements * 1 + kTinyOutputChannels * 2) + kTinyFp16OnlyBytes);  // 5267968
  ModelConfig tied = tiny_model();
  tied.tied_embeddings = true;
  EXPECT_EQ(model_weight_bytes(tied, precision_dtypes(Precision::fp16)),
            model_weight_bytes(tiny_model(), precision_dtypes(Precision::fp16)) - 2048 * 256 * 2);
}

TEST(RooflineMemory, ScalesAreCountedPerChannelGroupOrTensorAtTheirSize) {
  Variant v;
  v.precision = Precision::fp8;  // e4m3 weights, fp32 scales per output channel
  EXPECT_EQ(model_weight_bytes(tiny_model(), precision_dtypes(v)),
            4 * (kTinyLinearElements * 1 + kTinyOutputChannels * 4) + kTinyFp16OnlyBytes);
  v.weight_scales = WeightScales::tensor;  // one per stored tensor: wqkv, wo, w_gate_up, w_down
  EXPECT_EQ(model_weight_bytes(tiny_model(), precision_dtypes(v)), 4 * (kTinyLinearElements + 4 * 4) + kTinyFp16OnlyBytes);
  v.precision = Precision::int8;
  v.weight_scales = WeightScales::group;
  v.weight_group_size = 128;  // one fp16 scale per 128 weights
  EXPECT_EQ(model_weight_bytes(tiny_model(), precision_dtypes(v)),
            4 * (kTinyLinearElements + kTinyLinearElements / 128 * 2) + kTinyFp16OnlyBytes);
}

TEST(RooflineMemory, QkvBiasesAreFp16AtEveryPrecision) {
  // tiny-qwen2: 3 layers, hidden 256, q_dim 256, kv_dim 128, ffn 640, vocab 2048, tied.
  // Per layer: linear 256*256 + 2*128*256 + 256*256 + 3*640*256 = 688128 elements, 2304 output
  // channels (256 + 2*128 + 256 + 2*640 + 256), biases 256 + 2*128 = 512 and norms 2*256 in fp16.
  const ModelConfig qwen2 = model_preset("tiny-qwen2");
  const int64_t fp16_only = 2048 * 256 * 2 + 256 * 2;  // tied embedding and the final norm
  EXPECT_EQ(model_weight_bytes(qwen2, precision_dtypes(Precision::fp16)),
            3 * (688128 * 2 + (512 + 512) * 2) + fp16_only);  // 5184000
  EXPECT_EQ(model_weight_bytes(qwen2, precision_dtypes(Precision::int8)),
            3 * (688128 * 1 + 2304 * 2 + (512 + 512) * 2) + fp16_only);  // 3133440
  ModelConfig no_bias = qwen2;
  no_bias.qkv_bias = false;
  for (Precision precision : {Precision::fp16, Precision::int8, Precision::w8a8, Precision::fp8}) {
    EXPECT_EQ(model_weight_bytes(qwen2, precision_dtypes(precision)) -
                  model_weight_bytes(no_bias, precision_dtypes(precision)),
              3 * 512 * 2)
        << name(precision);
  }
}

TEST(RooflineMemory, Fp16WeightsAreTwoBytesPerParameter) {
  for (const char* preset : {"llama2-7b", "llama3-8b", "tiny", "qwen2.5-0.5b", "qwen2.5-7b", "tiny-qwen2",
                             "llama3.2-1b", "mistral-7b"}) {
    const ModelConfig model = model_preset(preset);
    EXPECT_EQ(model_weight_bytes(model, precision_dtypes(Precision::fp16)), 2 * model.n_params()) << preset;
  }
}

TEST(RooflineMemory, Int8WeightsHalveTheLinearLayers) {
  const ModelConfig model = model_preset("llama2-7b");
  const int64_t fp16 = model_weight_bytes(model, precision_dtypes(Precision::fp16));
  const int64_t int8 = model_weight_bytes(model, precision_dtypes(Precision::int8));
  // 32 layers of 4 * 4096^2 + 3 * 4096 * 11008 linear elements lose one byte each and gain a 2-byte
  // scale per output channel (4 * 4096 + 2 * 11008 + 4096 per layer).
  const int64_t linear_elements = 32LL * (4 * 4096 * 4096 + 3 * 4096 * 11008);
  const int64_t scale_bytes = 32LL * (4 * 4096 + 2 * 11008 + 4096) * 2;
  EXPECT_EQ(fp16 - int8, linear_elements - scale_bytes);
  EXPECT_EQ(model_weight_bytes(model, precision_dtypes(Precision::w8a8)), int8);
  // fp8: the same one byte per weight, with 4-byte (fp32) scales.
  EXPECT_EQ(model_weight_bytes(model, precision_dtypes(Precision::fp8)), int8 + scale_bytes);
  // The fp16 embedding and LM head keep the total a little above half.
  EXPECT_GT(double(int8) / double(fp16), 0.5);
  EXPECT_LT(double(int8) / double(fp16), 0.53);
}

TEST(RooflineMemory, KvBytesPerTokenAndPerSequence) {
  const ModelConfig llama2 = model_preset("llama2-7b");
  EXPECT_EQ(kv_bytes_per_token(llama2, precision_dtypes(Precision::fp16)), 512 * kKiB);  // 2 * 32 * 4096 * 2
  EXPECT_EQ(kv_bytes_per_sequence(llama2, precision_dtypes(Precision::fp16), 4096), 2 * kGiB);
  const ModelConfig llama3 = model_preset("llama3-8b");  // GQA: 8 KV heads of 128
  EXPECT_EQ(kv_bytes_per_token(llama3, precision_dtypes(Precision::fp16)), 128 * kKiB);
  // int8 / fp8 KV: 1-byte codes plus one fp32 scale per (layer, kv head) for K and for V.
  const int64_t scales = 2 * 32 * 8 * 4;
  EXPECT_EQ(kv_bytes_per_token(llama3, precision_dtypes(Precision::int8, DType::i8)), 64 * kKiB + scales);
  EXPECT_EQ(kv_bytes_per_token(llama3, precision_dtypes(Precision::fp16, DType::f8e4m3)), 64 * kKiB + scales);
  EXPECT_EQ(kv_bytes_per_token(llama3, precision_dtypes(Precision::int8, DType::f16)), 128 * kKiB);  // weights only
}

TEST(RooflineMemory, QuantisedKvFitsAlmostTwiceTheSequences) {
  // Llama-3-8B on an H200 at 4096 tokens: the KV budget beside the fp16 weights holds 2 hd / (hd + 4)
  // = 256 / 132 times the fp16 batch (floors aside).
  const ModelConfig llama3 = model_preset("llama3-8b");
  const GpuSpec gpu = gpu_spec("h200");
  const int64_t fp16 = max_batch_that_fits(llama3, precision_dtypes(Precision::fp16), gpu, 4096);
  const int64_t int8 = max_batch_that_fits(llama3, precision_dtypes(Precision::fp16, DType::i8), gpu, 4096);
  ASSERT_GT(fp16, 100);
  EXPECT_GE(double(int8) / double(fp16), 1.9);
  EXPECT_NEAR(double(int8) / double(fp16), 256.0 / 132.0, 2.0 / double(fp16));
}

TEST(RooflineMemory, LargestBatchLeavesTheReserveAndTheWeights) {
  GpuSpec gpu;
  gpu.memory_bytes = kGiB;
  const double budget = double(kGiB) * 0.95 - double(4 * kTinyLinearElements * 2 + kTinyFp16OnlyBytes);
  const int64_t kv_per_sequence = 1000 * (2 * 4 * 128 * 2);  // 1000 tokens of 2 * layers * kv_dim * 2 bytes
  EXPECT_EQ(max_batch_that_fits(tiny_model(), precision_dtypes(Precision::fp16), gpu, 1000),
            int64_t(std::floor(budget / double(kv_per_sequence))));  // 493
  EXPECT_EQ(max_batch_that_fits(model_preset("llama2-70b"), precision_dtypes(Precision::fp16), gpu_spec("a10"), 1000), 0);
}

}  // namespace
}  // namespace rooflm
