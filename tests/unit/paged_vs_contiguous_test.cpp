// Paged vs contiguous KV on the CPU backend (tiny model): the engine's greedy tokens are the same
// for block sizes 8, 16 and 32; a forked sequence (copy-on-write through Backend::copy_kv_blocks)
// and a sequence that adopted a cached prefix produce the logits of sequences computed from
// scratch in a contiguous cache. Tolerance 1e-5 absolute on fp32 logits of O(1): both layouts sum
// the same products in the same order, so only a wrong block (or a missed copy, reading the NaN
// poison) can move them.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/kv/kv_cache_factory.h"
#include "engine/kv/paged_kv_cache.h"
#include "engine/runtime/engine.h"
#include "engine/scenario/workload.h"
#include "tests/unit/plan_builders.h"

namespace rooflm {
namespace {

std::vector<std::vector<int32_t>> engine_tokens(KvLayout layout, int64_t block_size) {
  const ModelConfig config = model_preset("tiny");
  CpuBackend backend(config, synthetic_weights(config, 5), Variant{}, 2);
  WorkloadSpec w;
  w.requests = 6;
  w.prompt_len.kind = LengthDist::Kind::uniform;
  w.prompt_len.min = 3;
  w.prompt_len.max = 40;
  w.output_len.kind = LengthDist::Kind::uniform;
  w.output_len.min = 1;
  w.output_len.max = 12;
  w.seed = 21;
  std::vector<Request> requests = generate_workload(w, config.vocab, config.max_positions);
  int64_t longest = 0;
  for (const auto& r : requests) longest = std::max(longest, r.total_len());
  KvCacheSpec spec;
  spec.layout = layout;
  spec.block_size = block_size;
  const KvGeometry shape{config.n_layers, config.n_kv_heads, config.head_dim, 0, 0, DType::f32};
  const std::unique_ptr<KvCache> kv = make_kv_cache(plan_kv_cache(spec, shape, 3, longest, std::nullopt));
  kv->bind(backend.allocate_kv(kv->geometry()));
  BatchingSpec batching;
  batching.max_batch = 3;
  auto scheduler = make_scheduler(batching, *kv);
  VirtualClock clock;
  Engine engine(backend, *kv, *scheduler, clock);
  const EngineRunResult result = engine.run(requests, false);
  EXPECT_EQ(kv->stats().live_seqs, 0) << name(layout) << " " << block_size;
  std::vector<std::vector<int32_t>> tokens;
  for (const auto& r : requests) tokens.push_back(r.output);
  return tokens;
}

class PagedVsContiguous : public ::testing::TestWithParam<int64_t> {};

TEST_P(PagedVsContiguous, EngineProducesTheSameGreedyTokens) {
  const auto contiguous = engine_tokens(KvLayout::contiguous, 0);
  const auto paged = engine_tokens(KvLayout::paged, GetParam());
  EXPECT_EQ(paged, contiguous);
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, PagedVsContiguous, ::testing::Values(8, 16, 32));

// One step on `kv`: reserve, block copies, forward with logits, commit.
StepOutput step(CpuBackend& backend, KvCache& kv, const BatchPlan& plan) {
  for (const SeqChunk& ch : plan.chunks) EXPECT_TRUE(kv.reserve(ch.seq, ch.n_tokens()));
  backend.copy_kv_blocks(kv.geometry(), kv.take_block_copies());
  StepOutput out = backend.forward(plan, kv.view(plan.seqs()), true);
  for (const SeqChunk& ch : plan.chunks) kv.commit(ch.seq, ch.tokens);
  return out;
}

using test::make_chunk;

void expect_same_logits(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t v = 0; v < want.size(); ++v)
    ASSERT_NEAR(got[v], want[v], 1e-5f) << what << " logit " << v;
}

TEST(PagedVsContiguousCpu, ForkedAndPrefixAdoptedSequencesMatchFreshOnes) {
  const ModelConfig c = model_preset("tiny");
  constexpr int64_t kBlock = 8;
  CpuBackend paged_backend(c, synthetic_weights(c, 9), Variant{}, 2), ref_backend(c, synthetic_weights(c, 9), Variant{}, 2);
  PagedKvCache paged({c.n_layers, c.n_kv_heads, c.head_dim, kBlock, 16, DType::f32}, 64);
  ContiguousKvCache ref({c.n_layers, c.n_kv_heads, c.head_dim, 64, 4, DType::f32});
  paged.bind(paged_backend.allocate_kv(paged.geometry()));
  ref.bind(ref_backend.allocate_kv(ref.geometry()));

  std::vector<int32_t> prompt(21);  // 2 full blocks + 5 tokens in a shared, partly filled block
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = int32_t((i * 37 + 5) % uint64_t(c.vocab));

  // Paged: seq 0 prefills, seq 1 forks from it. Reference: both prefilled from scratch.
  BatchPlan prefill;
  prefill.chunks = {make_chunk(0, 0, prompt)};
  step(paged_backend, paged, prefill);
  ASSERT_TRUE(paged.fork(0, 1));
  prefill.chunks = {make_chunk(0, 0, prompt), make_chunk(1, 0, prompt)};
  step(ref_backend, ref, prefill);

  // Decode different tokens into both: each write lands in the shared third block first.
  for (int k = 0; k < 12; ++k) {
    BatchPlan plan;
    const int64_t pos = int64_t(prompt.size()) + k;
    plan.chunks = {make_chunk(0, pos, {int32_t(3 + k)}), make_chunk(1, pos, {int32_t(200 + k)})};
    const StepOutput got = step(paged_backend, paged, plan), want = step(ref_backend, ref, plan);
    for (size_t i = 0; i < 2; ++i) {
      expect_same_logits(got.logits[i], want.logits[i], "fork step " + std::to_string(k) + " seq " + std::to_string(i));
      EXPECT_EQ(got.next_tokens[i], want.next_tokens[i]);
    }
  }
  paged.release(0);
  paged.release(1);  // the prompt's two full blocks stay cached

  // Seq 2 adopts them and computes only the rest of its prompt; the reference computes all of it.
  std::vector<int32_t> prompt2(prompt.begin(), prompt.begin() + 16);
  prompt2.insert(prompt2.end(), {7, 8, 9});
  ASSERT_EQ(paged.adopt_cached_prefix(2, prompt2), 16);
  BatchPlan rest, full;
  rest.chunks = {make_chunk(2, 16, {7, 8, 9})};
  full.chunks = {make_chunk(2, 0, prompt2)};
  const StepOutput got = step(paged_backend, paged, rest), want = step(ref_backend, ref, full);
  expect_same_logits(got.logits[0], want.logits[0], "adopted prefix");
  EXPECT_EQ(paged.stats().prefix_hit_tokens, 16);
}

}  // namespace
}  // namespace rooflm
