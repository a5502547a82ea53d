// ContinuousScheduler driven by hand (no backend: a fake step appends token 100 + position to
// every sampling chunk): chunked prefill, FCFS admission under max_num_seqs and the token budget,
// mixed prefill/decode steps, preemption of the newest sequence and its recompute-resume chunk.
#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/sched/continuous_scheduler.h"
#include "tests/unit/capped_kv_cache.h"
#include "tests/unit/plan_builders.h"

namespace rooflm {
namespace {

Request make_request(int64_t id, int64_t prompt_len, int64_t max_output) {
  Request r;
  r.id = id;
  r.group = id;
  for (int64_t i = 0; i < prompt_len; ++i) r.prompt.push_back(int32_t(10 + i));
  r.max_output = max_output;
  return r;
}

using test::continuous_batching;

KvGeometry slots(int64_t n_slots) { return {1, 1, 4, 64, n_slots, DType::f32}; }

// What the engine does after a step: one token per sampling chunk.
void run_step(ContinuousScheduler& scheduler, BatchPlan& plan, std::vector<Request>& requests) {
  for (const SeqChunk& ch : plan.chunks)
    if (ch.sample) requests[size_t(ch.seq)].output.push_back(int32_t(100 + ch.end_pos()));
  scheduler.update(plan);
}

TEST(ContinuousScheduler, ChunkedPrefillSplitsThePromptAndSamplesOnlyAtItsEnd) {
  CappedKvCache kv(slots(2), 1000);
  ContinuousScheduler scheduler(continuous_batching(4, 4, true), kv);
  std::vector<Request> requests = {make_request(0, 10, 2)};
  scheduler.add(&requests[0]);
  // 10 prompt tokens with a budget of 4: chunks [0,4), [4,8), [8,10); then one decode token.
  const int64_t starts[] = {0, 4, 8, 10}, sizes[] = {4, 4, 2, 1};
  const bool samples[] = {false, false, true, true}, prefills[] = {true, true, true, false};
  for (int step = 0; step < 4; ++step) {
    BatchPlan plan = scheduler.schedule(0);
    ASSERT_EQ(plan.chunks.size(), 1u) << "step " << step;
    EXPECT_EQ(plan.chunks[0].start_pos, starts[step]);
    EXPECT_EQ(plan.chunks[0].n_tokens(), sizes[step]);
    EXPECT_EQ(plan.chunks[0].sample, samples[step]);
    EXPECT_EQ(plan.chunks[0].is_prefill, prefills[step]);
    run_step(scheduler, plan, requests);
  }
  EXPECT_TRUE(requests[0].done());
  EXPECT_TRUE(scheduler.idle());
  EXPECT_EQ(kv.stats().live_seqs, 0) << "finished sequences release their KV";
}

TEST(ContinuousScheduler, WithoutChunkingAPromptOverTheBudgetIsAnInputError) {
  CappedKvCache kv(slots(2), 1000);
  ContinuousScheduler scheduler(continuous_batching(4, 8, false), kv);
  Request r = make_request(0, 9, 1);
  EXPECT_THROW(scheduler.add(&r), InputError);
}

TEST(ContinuousScheduler, AdmitsFcfsUnderSeatsAndBudgetAndMixesPrefillWithDecode) {
  CappedKvCache kv(slots(4), 1000);
  ContinuousScheduler scheduler(continuous_batching(2, 8, false), kv);
  std::vector<Request> requests = {make_request(0, 5, 3), make_request(1, 3, 3), make_request(2, 2, 3)};
  for (Request& r : requests) scheduler.add(&r);
  // Step 0: 5 + 3 = 8 tokens fill the budget; the third waits (and would exceed 2 seats).
  BatchPlan plan = scheduler.schedule(0);
  ASSERT_EQ(plan.seqs(), (std::vector<SeqId>{0, 1}));
  EXPECT_EQ(plan.n_tokens(), 8);
  run_step(scheduler, plan, requests);
  // Step 1: both decode (1 token each); request 2 still has no seat.
  plan = scheduler.schedule(0);
  EXPECT_EQ(plan.seqs(), (std::vector<SeqId>{0, 1}));
  EXPECT_EQ(plan.n_decode_tokens(), 2);
  run_step(scheduler, plan, requests);
  plan = scheduler.schedule(0);
  run_step(scheduler, plan, requests);  // 0 and 1 finish (3 outputs)
  // Step 3: request 2 is admitted alone: its whole prompt.
  plan = scheduler.schedule(0);
  ASSERT_EQ(plan.seqs(), (std::vector<SeqId>{2}));
  EXPECT_EQ(plan.n_prefill_tokens(), 2);
}

TEST(ContinuousScheduler, NewArrivalJoinsRunningDecodesInTheSameStep) {
  CappedKvCache kv(slots(4), 1000);
  ContinuousScheduler scheduler(continuous_batching(4, 64, false), kv);
  std::vector<Request> requests = {make_request(0, 4, 5), make_request(1, 6, 2)};
  scheduler.add(&requests[0]);
  BatchPlan plan = scheduler.schedule(0);
  run_step(scheduler, plan, requests);
  scheduler.add(&requests[1]);
  plan = scheduler.schedule(0);
  ASSERT_EQ(plan.chunks.size(), 2u);
  EXPECT_EQ(plan.n_decode_tokens(), 1);   // request 0's next token
  EXPECT_EQ(plan.n_prefill_tokens(), 6);  // request 1's prompt
}

TEST(ContinuousScheduler, PreemptsTheNewestAndResumesWithPromptPlusOutputs) {
  // 2 requests of prompt 4: after prefill 8 tokens are held; cap 10 lets each decode once
  // (10 held), then request 0's next token does not fit: request 1 (the newest) is preempted.
  CappedKvCache kv(slots(2), 10);
  ContinuousScheduler scheduler(continuous_batching(2, 64, false), kv);
  std::vector<Request> requests = {make_request(0, 4, 4), make_request(1, 4, 4)};
  for (Request& r : requests) scheduler.add(&r);
  BatchPlan plan = scheduler.schedule(0);  // both prefills
  run_step(scheduler, plan, requests);
  plan = scheduler.schedule(0);  // both decode: 10 held
  run_step(scheduler, plan, requests);
  plan = scheduler.schedule(0);
  EXPECT_EQ(plan.seqs(), (std::vector<SeqId>{0})) << "request 1 was preempted to make room";
  EXPECT_EQ(requests[1].preemptions, 1);
  EXPECT_EQ(requests[0].preemptions, 0);
  EXPECT_EQ(scheduler.preemptions(), 1);
  EXPECT_EQ(requests[1].output.size(), 2u) << "outputs are kept; only the KV is dropped";
  run_step(scheduler, plan, requests);
  plan = scheduler.schedule(0);  // request 0's last token (7 held, no room yet for 1's 6)
  run_step(scheduler, plan, requests);
  ASSERT_TRUE(requests[0].done());
  // Request 1 resumes: one chunk recomputes the KV of its prompt (4) and both outputs so far and
  // samples only at its end (position 6): 6 tokens, then its third output.
  plan = scheduler.schedule(0);
  ASSERT_EQ(plan.chunks.size(), 1u);
  const SeqChunk& resume = plan.chunks[0];
  EXPECT_EQ(resume.seq, 1);
  EXPECT_EQ(resume.start_pos, 0);
  EXPECT_EQ(resume.tokens, (std::vector<int32_t>{10, 11, 12, 13, 104, 105}));
  EXPECT_TRUE(resume.sample);
  run_step(scheduler, plan, requests);
  EXPECT_EQ(requests[1].output, (std::vector<int32_t>{104, 105, 106}));
}

}  // namespace
}  // namespace rooflm
