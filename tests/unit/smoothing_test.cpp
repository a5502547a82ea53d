// SmoothQuant smoothing (engine/model/smoothing.h): the factor formula by hand, KV-group sharing,
// and apply_smoothing keeping the fp32 model's function: bit-identical logits for power-of-two
// factors on the norm-fed inputs (every scaling is exact), and within a stated tolerance for
// arbitrary factors on all four inputs (the changed weights are rounded to fp16 again).
// Run: build/tests/rooflm_unit_tests --gtest_filter='Smoothing*'
#include "engine/model/smoothing.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/runtime/token_streams.h"

namespace rooflm {
namespace {

TEST(Smoothing, FactorsByHand) {
  const std::vector<float> x = {4, 0, 9, 0.25f}, w = {1, 2, 0, 4};
  // alpha 0.5: sqrt(x / w); a zero maximum leaves the channel alone
  EXPECT_EQ(smoothing_factors(x, w, 0.5), (std::vector<float>{2, 1, 1, 0.25f}));
  EXPECT_EQ(smoothing_factors(x, w, 1.0), (std::vector<float>{4, 1, 1, 0.25f}));  // s = max|X|
  EXPECT_EQ(smoothing_factors(x, w, 0.0), (std::vector<float>{1, 1, 1, 0.25f}));  // s = 1 / max|W|
}

TEST(Smoothing, WeightColumnMaximaAndKvGroups) {
  HostTensor w{{3, 2}, {1, -5, -3, 2, 0.5f, 4}};
  EXPECT_EQ(weight_column_absmax(w, 0, 3), (std::vector<float>{3, 5}));
  EXPECT_EQ(weight_column_absmax(w, 1, 2), (std::vector<float>{3, 4}));
  ModelConfig c = model_preset("tiny");  // 4 query heads, 2 KV heads: heads {0, 1} and {2, 3}
  c.head_dim = 2;
  std::vector<float> v = {1, 8, 3, 2, 5, 0, 4, 6};  // [head][d]
  share_across_kv_groups(v, c);
  EXPECT_EQ(v, (std::vector<float>{3, 8, 3, 8, 5, 6, 5, 6}));
  LayerSmoothing layer;
  EXPECT_TRUE(v_row_divisors(layer, c).empty());
  layer.attn_out = v;
  EXPECT_EQ(v_row_divisors(layer, c), (std::vector<float>{3, 8, 5, 6}));  // [KV head][d]
}

struct Logits {
  ModelConfig config;
  std::vector<std::vector<int32_t>> prompts;
  explicit Logits(const char* preset)
      : config(model_preset(preset)), prompts(seeded_token_streams(9, 2, 19, config.vocab)) {}
  // Last-position logits of each prompt (one prefill each), with the kernel set `kernels`.
  std::vector<std::vector<float>> of(const ModelWeights& weights, KernelSet kernels) const {
    Variant v;
    v.kernels = kernels;
    CpuBackend cpu(config, weights, v, 2);
    ContiguousKvCache kv({config.n_layers, config.n_kv_heads, config.head_dim, 32, 2, DType::f32});
    kv.bind(cpu.allocate_kv(kv.geometry()));
    BatchPlan plan;
    for (size_t s = 0; s < prompts.size(); ++s) {
      SeqChunk& ch = plan.chunks.emplace_back();
      ch.seq = SeqId(s);
      ch.tokens = prompts[s];
      ch.sample = ch.is_prefill = true;
      EXPECT_TRUE(kv.reserve(ch.seq, ch.n_tokens()));
    }
    return cpu.forward(plan, kv.view(plan.seqs()), true).logits;
  }
};

// Factors 2^k (k in -2..3) on attn_in and mlp_in: norms / 2^k and columns x 2^k are exact in fp16
// (norm weights are ~1, projection weights far from fp16's range ends), and so is every product:
// the logits are bit-identical, for both kernel sets.
TEST(Smoothing, PowerOfTwoFactorsOnNormInputsAreExact) {
  const Logits rig("tiny");
  const ModelWeights weights = synthetic_weights(rig.config, 2);
  SmoothingFactors factors(size_t(rig.config.n_layers));
  for (auto& layer : factors)
    for (auto* input : {&layer.attn_in, &layer.mlp_in})
      for (int64_t j = 0; j < rig.config.hidden; ++j) input->push_back(std::ldexp(1.0f, int(j % 6) - 2));
  const ModelWeights smoothed = apply_smoothing(weights, rig.config, factors);
  EXPECT_NE(smoothed.layers[0].attn_norm.data, weights.layers[0].attn_norm.data);
  for (const KernelSet kernels : {KernelSet::fused, KernelSet::naive})
    EXPECT_EQ(rig.of(smoothed, kernels), rig.of(weights, kernels)) << name(kernels);
}

// Arbitrary factors in [0.3, 3] on all four inputs (attn_out shared per KV group) of a model with
// Q/K/V biases: each changed weight is re-rounded to fp16 (relative error <= 2^-11, random in sign),
// which moved logits by at most 2.5e-4 x max|ref| when measured. Tolerance per logit:
// |d| <= 2e-3 * max|ref| + 2e-3 * |ref| (8x that).
TEST(Smoothing, ArbitraryFactorsOnEveryInputKeepTheFunction) {
  for (const char* preset : {"tiny", "tiny-qwen2"}) {
    const Logits rig(preset);
    const ModelConfig& c = rig.config;
    const ModelWeights weights = synthetic_weights(c, 4);
    SmoothingFactors factors(size_t(c.n_layers));
    uint64_t x = 12345;
    auto next = [&x] {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      return 0.3f + 2.7f * float(x >> 40) / float(1 << 24);
    };
    for (auto& layer : factors) {
      for (const LinearInput input :
           {LinearInput::attn_in, LinearInput::attn_out, LinearInput::mlp_in, LinearInput::mlp_act})
        for (int64_t j = 0; j < linear_input_width(c, input); ++j) layer.of(input).push_back(next());
      share_across_kv_groups(layer.attn_out, c);
    }
    const auto ref = rig.of(weights, KernelSet::fused);
    const auto got = rig.of(apply_smoothing(weights, c, factors), KernelSet::fused);
    for (size_t s = 0; s < ref.size(); ++s) {
      float max_ref = 0;
      for (const float v : ref[s]) max_ref = std::max(max_ref, std::fabs(v));
      size_t differ = 0;
      for (size_t v = 0; v < ref[s].size(); ++v) {
        ASSERT_NEAR(got[s][v], ref[s][v], 2e-3 * max_ref + 2e-3 * std::fabs(ref[s][v])) << preset << " logit " << v;
        differ += got[s][v] != ref[s][v];
      }
      EXPECT_GT(differ, 0u) << preset << ": the factors changed nothing";
    }
  }
}

TEST(Smoothing, BadFactorsAreRefused) {
  const ModelConfig c = model_preset("tiny");
  const ModelWeights weights = synthetic_weights(c, 1);
  SmoothingFactors factors(size_t(c.n_layers));
  factors[1].mlp_act.assign(size_t(c.ffn - 1), 1.0f);
  EXPECT_THROW(apply_smoothing(weights, c, factors), std::logic_error);
  factors[1].mlp_act.assign(size_t(c.ffn), 1.0f);
  factors[1].mlp_act[3] = 0;
  EXPECT_THROW(apply_smoothing(weights, c, factors), std::logic_error);
  factors[1].mlp_act[3] = 1;
  factors[0].attn_out.assign(size_t(c.q_dim()), 1.0f);
  factors[0].attn_out[0] = 2;  // head 0 of KV group 0 differs from head 1
  EXPECT_THROW(apply_smoothing(weights, c, factors), std::logic_error);
  EXPECT_THROW(check_smoothing(factors, c), std::logic_error);
  factors[0].attn_out[0] = 1;
  EXPECT_NO_THROW(check_smoothing(factors, c));
  factors.pop_back();
  EXPECT_THROW(check_smoothing(factors, c), std::logic_error);  // not one entry per layer
}

}  // namespace
}  // namespace rooflm
