// ContinuousScheduler: iteration-level batching. Every step it first gives each running sequence
// its next chunk (oldest first), then admits waiting requests first-come-first-served while the
// token budget (max_batched_tokens), max_num_seqs (max_batch) and the KV cache allow. With
// chunked prefill a prompt is split across steps to fit the budget (mid-prompt chunks do not
// sample). When the cache cannot grow a running sequence, the newest running sequence is
// preempted by recompute: its KV is released and it rejoins the front of the queue; when it
// resumes, its chunk is prompt + outputs so far, and no new token is sampled until the chunk that
// reaches its last output token, so it produces exactly the tokens of an unpressured run.
// Samples of one request (n > 1): the primary prefills all but its last prompt token, then the
// others are forked from it (when the cache can fork) and every sample feeds that last token.
#pragma once

#include <deque>
#include <map>
#include <vector>

#include "engine/sched/scheduler.h"

namespace rooflm {

class ContinuousScheduler final : public Scheduler {
 public:
  ContinuousScheduler(const BatchingSpec& spec, KvCache& kv);

  void add(Request* request) override;
  BatchPlan schedule(double now) override;
  void update(const BatchPlan& plan) override;
  bool idle() const override { return waiting_.empty() && running_.empty() && unforked_.empty(); }
  std::optional<double> wake_time() const override { return std::nullopt; }

  int64_t preemptions() const { return preemptions_; }

 private:
  // Where a sequence's next chunk must end: its known tokens, or one short of the prompt while
  // the primary of a request still has samples waiting to fork from it.
  int64_t chunk_target(const Request& r) const;
  // Appends r's next chunk, at most `budget` tokens, reserving its KV; false when the cache is full.
  bool try_plan_chunk(Request& r, int64_t budget, BatchPlan& plan);
  void preempt(Request& r);
  // Admits waiting requests into the plan while budget, seat limit and the cache allow.
  void admit_waiting(int64_t& budget, BatchPlan& plan);
  // After the primary's shared prefix is cached: forks (or queues) its other samples.
  void release_samples(Request& primary);

  BatchingSpec spec_;
  KvCache& kv_;
  bool fork_samples_ = false;             // the cache shares blocks: fork samples instead of re-prefilling
  std::deque<Request*> waiting_;          // FCFS; preempted sequences go back to the front
  std::vector<Request*> running_;         // admission order (oldest first); the newest is preempted first
  std::map<int64_t, std::vector<Request*>> unforked_;  // primary id -> its samples waiting for the fork
  int64_t step_ = 0;
  int64_t preemptions_ = 0;
};

}  // namespace rooflm
