// Scheduler invariants on the CPU backend (tiny model): every request completes with its forced
// output length; the token budget and max_num_seqs hold on every step; a sequence preempted under
// KV pressure and resumed by recompute yields exactly the tokens of an unpressured run (greedy and
// seeded sampling); samples (n) and closed-loop arrivals complete; on a paged cache, forked
// samples, adopted shared prefixes and block-pressure preemptions change no token.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/paged_kv_cache.h"
#include "engine/runtime/engine.h"
#include "engine/scenario/workload.h"
#include "tests/unit/capped_kv_cache.h"
#include "tests/unit/plan_builders.h"

namespace rooflm {
namespace {

constexpr int64_t kSlotTokens = 48;

// Burst arrivals: the CPU backend does not advance the virtual clock, so spread arrivals would
// each find an idle engine.
WorkloadSpec varied_workload(float temperature = 0) {
  WorkloadSpec w;
  w.requests = 10;
  w.prompt_len.kind = LengthDist::Kind::uniform;
  w.prompt_len.min = 3;
  w.prompt_len.max = 20;
  w.output_len.kind = LengthDist::Kind::uniform;
  w.output_len.min = 1;
  w.output_len.max = 9;
  w.sampling.temperature = temperature;
  w.seed = 5;
  return w;
}

struct Outcome {
  std::vector<Request> requests;
  EngineRunResult result;
};

class SchedulerInvariants : public ::testing::Test {
 protected:
  SchedulerInvariants() : config_(model_preset("tiny")), backend_(config_, synthetic_weights(config_, 3), Variant{}, 2) {}

  Outcome run(const WorkloadSpec& w, const BatchingSpec& spec, int64_t cap_tokens) {
    Outcome out;
    out.requests = generate_workload(w, config_.vocab, kSlotTokens);
    CappedKvCache kv({config_.n_layers, config_.n_kv_heads, config_.head_dim, kSlotTokens, 8, DType::f32},
                     cap_tokens);
    kv.bind(backend_.allocate_kv(kv.geometry()));
    auto scheduler = make_scheduler(spec, kv);
    VirtualClock clock;
    Engine engine(backend_, kv, *scheduler, clock);
    out.result = engine.run(out.requests, true);
    EXPECT_EQ(kv.held_tokens(), 0) << "every sequence released";
    return out;
  }

  // The same on a paged cache of `n_blocks` 4-token blocks: forks, prefix adoption, block pressure.
  Outcome run_paged(const WorkloadSpec& w, const BatchingSpec& spec, int64_t n_blocks) {
    Outcome out;
    out.requests = generate_workload(w, config_.vocab, kSlotTokens);
    PagedKvCache kv({config_.n_layers, config_.n_kv_heads, config_.head_dim, 4, n_blocks, DType::f32}, kSlotTokens);
    kv.bind(backend_.allocate_kv(kv.geometry()));
    auto scheduler = make_scheduler(spec, kv);
    VirtualClock clock;
    Engine engine(backend_, kv, *scheduler, clock);
    out.result = engine.run(out.requests, true);
    EXPECT_EQ(kv.stats().live_seqs, 0) << "every sequence released";
    return out;
  }

  static std::vector<std::vector<int32_t>> outputs(const Outcome& r) {
    std::vector<std::vector<int32_t>> o;
    for (const Request& q : r.requests) o.push_back(q.output);
    return o;
  }

  static int64_t preemptions(const Outcome& r) {
    int64_t n = 0;
    for (const RequestTimeline& t : r.result.requests) n += t.preemptions;
    return n;
  }

  ModelConfig config_;
  CpuBackend backend_;
};

using test::continuous_batching;

BatchingSpec one_at_a_time() {
  BatchingSpec spec;
  spec.max_batch = 1;
  return spec;
}

TEST_F(SchedulerInvariants, EveryRequestCompletesWithinBudgetAndSeats) {
  for (bool chunked : {false, true}) {
    const BatchingSpec spec = continuous_batching(3, chunked ? 7 : 20, chunked);
    const Outcome r = run(varied_workload(), spec, 1 << 20);
    for (const Request& q : r.requests) {
      EXPECT_EQ(q.state, RequestState::finished) << "request " << q.id;
      EXPECT_EQ(int64_t(q.output.size()), q.max_output) << "request " << q.id;
    }
    for (const BatchPlan& plan : r.result.plans) {
      EXPECT_LE(plan.n_tokens(), spec.max_batched_tokens) << "step " << plan.step;
      EXPECT_LE(int64_t(plan.chunks.size()), spec.max_batch) << "step " << plan.step;
    }
    EXPECT_EQ(outputs(r), outputs(run(varied_workload(), one_at_a_time(), 1 << 20)))
        << "greedy tokens do not depend on batching (chunked=" << chunked << ")";
  }
}

TEST_F(SchedulerInvariants, PreemptedAndResumedRequestsYieldTheUnpressuredTokens) {
  for (float temperature : {0.0f, 0.8f}) {
    const Outcome unpressured = run(varied_workload(temperature), continuous_batching(4, 64, true), 1 << 20);
    ASSERT_EQ(preemptions(unpressured), 0);
    const Outcome pressured = run(varied_workload(temperature), continuous_batching(4, 64, true), 40);
    EXPECT_GT(preemptions(pressured), 0) << "a 40-token cap must force preemptions";
    EXPECT_EQ(outputs(pressured), outputs(unpressured)) << "temperature " << temperature;
    for (const BatchPlan& plan : pressured.result.plans) EXPECT_LE(plan.n_tokens(), 64);
  }
}

TEST_F(SchedulerInvariants, SamplesOfARequestShareItsPromptAndAllComplete) {
  WorkloadSpec w = varied_workload();
  w.requests = 4;
  w.n = 3;
  const Outcome r = run(w, continuous_batching(4, 64, false), 1 << 20);
  ASSERT_EQ(r.requests.size(), 12u);
  for (const Request& q : r.requests) {
    EXPECT_EQ(int64_t(q.output.size()), q.max_output);
    const Request& primary = r.requests[size_t(q.primary_id())];
    EXPECT_EQ(q.prompt, primary.prompt);
    EXPECT_EQ(q.output, primary.output) << "greedy samples of one prompt agree";
  }
}

TEST_F(SchedulerInvariants, ClosedLoopKeepsConcurrencyRequestsInFlight) {
  WorkloadSpec w = varied_workload();
  w.arrival.process = ArrivalSpec::Process::closed_loop;
  w.arrival.concurrency = 2;
  const Outcome r = run(w, continuous_batching(8, 64, false), 1 << 20);
  std::vector<double> finishes;
  for (const RequestTimeline& t : r.result.requests) finishes.push_back(t.finish);
  for (size_t i = 0; i < r.requests.size(); ++i) {
    const RequestTimeline& t = r.result.requests[i];
    EXPECT_FALSE(std::isnan(t.finish));
    if (i < 2) EXPECT_EQ(t.arrival, 0.0);
    else EXPECT_NE(std::find(finishes.begin(), finishes.end(), t.arrival), finishes.end())
        << "request " << i << " arrives when an earlier one finishes";
  }
  for (const StepRecord& s : r.result.steps) EXPECT_LE(s.live_seqs, 2);
}

TEST_F(SchedulerInvariants, PagedForksPrefixHitsAndPreemptionsKeepTheTokens) {
  WorkloadSpec w = varied_workload(0.8f);
  w.n = 3;
  w.shared_prefix.groups = 2;
  w.shared_prefix.length = 9;
  const Outcome contiguous = run(w, continuous_batching(8, 64, true), 1 << 20);
  const Outcome roomy = run_paged(w, continuous_batching(8, 64, true), 400);
  EXPECT_EQ(outputs(roomy), outputs(contiguous)) << "forked samples and adopted prefixes change no token";
  int64_t hits = 0;
  for (const StepRecord& s : roomy.result.steps) hits += s.prefix_hit_tokens;
  EXPECT_GT(hits, 0) << "later requests of a prefix group adopt its cached blocks";
  int64_t forked = 0;  // samples whose first chunk is only the last prompt token
  std::set<SeqId> seen;
  for (const BatchPlan& plan : roomy.result.plans)
    for (const SeqChunk& ch : plan.chunks)
      if (seen.insert(ch.seq).second && roomy.requests[size_t(ch.seq)].sample_index > 0)
        forked += ch.start_pos == int64_t(roomy.requests[size_t(ch.seq)].prompt.size()) - 1;
  EXPECT_GT(forked, 0) << "samples fork from their primary instead of prefilling";
  const Outcome tight = run_paged(w, continuous_batching(8, 64, true), 24);
  EXPECT_GT(preemptions(tight), 0) << "24 blocks of 4 tokens must force preemptions";
  EXPECT_EQ(outputs(tight), outputs(contiguous));
}

}  // namespace
}  // namespace rooflm
