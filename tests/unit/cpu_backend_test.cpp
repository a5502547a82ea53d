// CPU reference backend: every logit vs an independent fp64 implementation; prefill at once vs
// token by token vs chunked prefill through the KV cache; batching invariance.
#include <gtest/gtest.h>

#include <random>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "tests/unit/naive_llama_reference.h"
#include "tests/unit/plan_builders.h"
#include "tests/unit/step_logits.h"

namespace rooflm {
namespace {

// fp32 CPU vs fp64 reference: 1e-4 absolute + 1e-3 relative per logit (logits are O(1); fp32
// accumulation over <= 768 terms with 4 layers stays orders of magnitude below this).
constexpr double kAtol = 1e-4, kRtol = 1e-3;

struct Rig {
  ModelConfig config = model_preset("tiny");
  ModelWeights weights = synthetic_weights(config, 7);
  CpuBackend backend{config, weights, Variant{}, 2};
  ContiguousKvCache kv;
  explicit Rig(int64_t slots = 4, int64_t max_len = 128)
      : kv({config.n_layers, config.n_kv_heads, config.head_dim, max_len, slots, DType::f32}) {
    kv.bind(backend.allocate_kv(kv.geometry()));
  }
  // Runs one step of the given chunks and returns per-chunk logits.
  std::vector<std::vector<float>> step(std::vector<SeqChunk> chunks) {
    return test::step_logits(backend, kv, std::move(chunks));
  }
};

using test::make_chunk;

using test::random_tokens;

void expect_close(const std::vector<float>& got, const std::vector<double>& ref, const char* what) {
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_NEAR(got[i], ref[i], kAtol + kRtol * std::abs(ref[i])) << what << " logit " << i;
}

TEST(CpuBackend, EveryLogitMatchesIndependentFp64Reference) {
  for (size_t len : {1u, 3u, 17u, 40u}) {
    Rig rig;
    const auto tokens = random_tokens(len, rig.config.vocab, uint32_t(len));
    const auto ref = testing::naive_llama_logits(rig.config, rig.weights, tokens);
    // Prefill all at once: logits of the last position.
    const auto logits = rig.step({make_chunk(0, 0, tokens)});
    expect_close(logits[0], ref.back(), "prefill");
  }
}

TEST(CpuBackend, TokenByTokenDecodeMatchesReferenceAtEveryPosition) {
  Rig rig;
  const auto tokens = random_tokens(24, rig.config.vocab, 99);
  const auto ref = testing::naive_llama_logits(rig.config, rig.weights, tokens);
  for (size_t p = 0; p < tokens.size(); ++p) {
    const auto logits = rig.step({make_chunk(0, int64_t(p), {tokens[p]})});
    expect_close(logits[0], ref[p], "decode");
  }
}

TEST(CpuBackend, PrefillAtOnceEqualsTokenByTokenAndChunked) {
  Rig rig;
  const auto tokens = random_tokens(33, rig.config.vocab, 5);
  // seq 0: whole prompt; seq 1: token by token; seq 2: chunks of 8 (mid-prompt chunks sample nothing).
  const auto whole = rig.step({make_chunk(0, 0, tokens)})[0];
  std::vector<float> one_by_one;
  for (size_t p = 0; p < tokens.size(); ++p) one_by_one = rig.step({make_chunk(1, int64_t(p), {tokens[p]})})[0];
  std::vector<float> chunked;
  for (size_t p = 0; p < tokens.size(); p += 8) {
    const size_t e = std::min(tokens.size(), p + 8);
    const bool last = e == tokens.size();
    auto out = rig.step({make_chunk(2, int64_t(p), {tokens.begin() + p, tokens.begin() + e}, last)});
    if (last) chunked = out[0];
    else EXPECT_TRUE(out[0].empty());
  }
  // Each output element is computed with the same operation order in all three: bit-identical.
  EXPECT_EQ(whole, one_by_one);
  EXPECT_EQ(whole, chunked);
}

TEST(CpuBackend, MixedBatchEqualsSequencesRunAlone) {
  const ModelConfig config = model_preset("tiny");
  const auto a = random_tokens(9, config.vocab, 1), b = random_tokens(20, config.vocab, 2);
  Rig alone;
  const auto la = alone.step({make_chunk(0, 0, a)})[0];
  const auto lb_prefill = alone.step({make_chunk(1, 0, b)})[0];
  const auto lb = alone.step({make_chunk(1, 20, {7})})[0];
  Rig batched;
  batched.step({make_chunk(1, 0, b)});
  // One step mixing a 9-token prefill and a decode token at position 20.
  const auto mixed = batched.step({make_chunk(0, 0, a), make_chunk(1, 20, {7})});
  EXPECT_EQ(mixed[0], la);
  EXPECT_EQ(mixed[1], lb);
  EXPECT_NE(lb_prefill, lb);
}

TEST(CpuBackend, GreedySamplesTheArgmaxOfItsLogits) {
  Rig rig;
  BatchPlan plan;
  plan.chunks = {make_chunk(0, 0, random_tokens(5, rig.config.vocab, 3))};
  ASSERT_TRUE(rig.kv.reserve(0, 5));
  const StepOutput out = rig.backend.forward(plan, rig.kv.view(plan.seqs()), true);
  const auto& l = out.logits[0];
  EXPECT_EQ(out.next_tokens[0], int32_t(std::max_element(l.begin(), l.end()) - l.begin()));
}

}  // namespace
}  // namespace rooflm
