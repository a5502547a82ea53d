// Engine loop + static scheduler on the CPU backend: lifecycle timestamps, completion,
// determinism (same seed -> same tokens and counts), batching invariance, static-batch semantics.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/runtime/engine.h"
#include "engine/scenario/workload.h"

namespace rooflm {
namespace {

WorkloadSpec small_workload(uint64_t seed, double rate = 0) {
  WorkloadSpec w;
  w.requests = 7;
  w.prompt_len.kind = LengthDist::Kind::uniform;
  w.prompt_len.min = 3;
  w.prompt_len.max = 12;
  w.output_len.kind = LengthDist::Kind::uniform;
  w.output_len.min = 1;
  w.output_len.max = 6;
  if (rate > 0) {
    w.arrival.process = ArrivalSpec::Process::poisson;
    w.arrival.rate = rate;
  }
  w.seed = seed;
  return w;
}

struct Outcome {
  std::vector<std::vector<int32_t>> tokens;
  EngineRunResult result;
};

Outcome run(const WorkloadSpec& w, int64_t max_batch, bool virtual_clock = false) {
  const ModelConfig config = model_preset("tiny");
  CpuBackend backend(config, synthetic_weights(config, 3), Variant{}, 2);
  std::vector<Request> requests = generate_workload(w, config.vocab, config.max_positions);
  ContiguousKvCache kv({config.n_layers, config.n_kv_heads, config.head_dim, 32, max_batch, DType::f32});
  kv.bind(backend.allocate_kv(kv.geometry()));
  BatchingSpec spec;
  spec.max_batch = max_batch;
  auto scheduler = make_scheduler(spec, kv);
  SteadyClock steady;
  VirtualClock virt;
  Clock& clock = virtual_clock ? static_cast<Clock&>(virt) : steady;
  Engine engine(backend, kv, *scheduler, clock);
  Outcome o;
  o.result = engine.run(requests, false);
  for (const auto& r : requests) o.tokens.push_back(r.output);
  EXPECT_EQ(kv.stats().live_seqs, 0) << "every sequence released";
  return o;
}

TEST(Engine, EveryRequestCompletesWithOrderedTimestamps) {
  const Outcome o = run(small_workload(1, 200.0), 3);
  const auto reqs = generate_workload(small_workload(1, 200.0), 2048, 2048);
  ASSERT_EQ(o.result.requests.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    const RequestTimeline& t = o.result.requests[i];
    EXPECT_FALSE(t.failed);
    EXPECT_EQ(t.n_output, reqs[i].max_output);
    EXPECT_EQ(int64_t(t.token_times.size()), t.n_output);
    EXPECT_DOUBLE_EQ(t.arrival, reqs[i].arrival);
    EXPECT_LE(t.arrival, t.first_scheduled);
    EXPECT_LE(t.first_scheduled, t.token_times.front());
    for (size_t k = 1; k < t.token_times.size(); ++k) EXPECT_LE(t.token_times[k - 1], t.token_times[k]);
    EXPECT_EQ(t.finish, t.token_times.back());
  }
}

TEST(Engine, SameSeedSameTokensAndCounts) {
  const Outcome a = run(small_workload(9), 4), b = run(small_workload(9), 4);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.result.steps.size(), b.result.steps.size());
  const Outcome c = run(small_workload(10), 4);
  EXPECT_NE(a.tokens, c.tokens);
}

TEST(Engine, GreedyTokensDoNotDependOnBatchSize) {
  EXPECT_EQ(run(small_workload(4), 1).tokens, run(small_workload(4), 4).tokens);
}

TEST(Engine, StaticBatchRunsUntilItsLastSequenceEnds) {
  // Burst of 7 requests, batches of 3: steps of a batch are 1 prefill step + (max output - 1) decode
  // steps; finished sequences show as idle slots and nobody joins a running batch.
  const WorkloadSpec w = small_workload(2);
  const Outcome o = run(w, 3, /*virtual_clock=*/true);
  const auto reqs = generate_workload(w, 2048, 2048);
  int64_t expected_steps = 0;
  for (size_t b = 0; b < reqs.size(); b += 3) {
    int64_t longest = 0;
    for (size_t i = b; i < std::min(reqs.size(), b + 3); ++i) longest = std::max(longest, reqs[i].max_output);
    expected_steps += longest;
  }
  EXPECT_EQ(int64_t(o.result.steps.size()), expected_steps);
  for (const StepRecord& s : o.result.steps) {
    EXPECT_LE(s.n_seqs + s.idle_slots, 3);
    EXPECT_TRUE(s.n_prefill_tokens == 0 || s.n_decode_tokens == 0) << "static: prefill steps are separate";
  }
}

}  // namespace
}  // namespace rooflm
