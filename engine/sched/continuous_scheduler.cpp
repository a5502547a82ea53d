// ContinuousScheduler implementation.
#include "engine/sched/continuous_scheduler.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace rooflm {

ContinuousScheduler::ContinuousScheduler(const BatchingSpec& spec, KvCache& kv)
    : spec_(spec), kv_(kv), fork_samples_(kv.layout() == KvLayout::paged) {}

void ContinuousScheduler::add(Request* request) {
  if (!spec_.chunked_prefill && int64_t(request->prompt.size()) > spec_.max_batched_tokens)
    throw InputError("engine.batching.max_batched_tokens = " + std::to_string(spec_.max_batched_tokens) +
                     " is smaller than the prompt of request " + std::to_string(request->id) + " (" +
                     std::to_string(request->prompt.size()) +
                     " tokens); raise it or set engine.batching.chunked_prefill");
  request->state = RequestState::waiting;
  const bool forks = fork_samples_ && request->prompt.size() >= 2 && request->n_samples <= spec_.max_batch;
  if (forks && request->sample_index > 0)
    unforked_[request->primary_id()].push_back(request);
  else
    waiting_.push_back(request);
}

int64_t ContinuousScheduler::chunk_target(const Request& r) const {
  if (r.sample_index == 0 && unforked_.count(r.id)) return int64_t(r.prompt.size()) - 1;
  return r.known_len();
}

bool ContinuousScheduler::try_plan_chunk(Request& r, int64_t budget, BatchPlan& plan) {
  const int64_t n = std::min(chunk_target(r) - r.n_cached, budget);
  if (n <= 0) return true;
  if (!kv_.reserve(r.seq(), n)) return false;
  SeqChunk ch;
  ch.seq = r.seq();
  ch.start_pos = r.n_cached;
  ch.tokens = r.tokens(r.n_cached, r.n_cached + n);
  // Only the chunk that reaches the last known token samples (a resumed sequence recomputes its
  // outputs' KV first; a mid-prompt chunk or the primary's shared prefix samples nothing).
  ch.sample = ch.end_pos() == r.known_len();
  ch.is_prefill = r.output.empty() || ch.start_pos < r.known_len() - 1;
  ch.sampling = r.sampling;
  ch.sample_seed = r.seed;
  plan.chunks.push_back(std::move(ch));
  return true;
}

void ContinuousScheduler::preempt(Request& r) {
  kv_.release(r.seq());
  r.n_cached = 0;
  r.state = RequestState::waiting;
  ++r.preemptions;
  ++preemptions_;
  running_.erase(std::find(running_.begin(), running_.end(), &r));
  waiting_.push_front(&r);
}

void ContinuousScheduler::release_samples(Request& primary) {
  const auto it = unforked_.find(primary.id);
  if (it == unforked_.end()) return;
  const std::vector<Request*> samples = std::move(it->second);
  unforked_.erase(it);
  std::vector<Request*> not_forked;
  for (Request* sample : samples) {
    if (kv_.fork(primary.seq(), sample->seq())) {
      sample->n_cached = primary.n_cached;
      sample->state = RequestState::running;
      running_.push_back(sample);
    } else {
      not_forked.push_back(sample);  // prefills on its own
    }
  }
  waiting_.insert(waiting_.begin(), not_forked.begin(), not_forked.end());
}

void ContinuousScheduler::admit_waiting(int64_t& budget, BatchPlan& plan) {
  while (!waiting_.empty() && budget > 0) {
    Request& r = *waiting_.front();
    const bool resumed = r.preemptions > 0;
    const int64_t seats = unforked_.count(r.id) ? r.n_samples : 1;
    if (int64_t(running_.size()) + seats > spec_.max_batch) return;
    if (!kv_.can_admit(r.total_len())) {
      if (running_.empty() && plan.empty())
        throw InputError("engine.kv_cache cannot hold request " + std::to_string(r.id) + " of " +
                         std::to_string(r.total_len()) + " tokens even with nothing else running");
      return;
    }
    // Cached full blocks of its known tokens (all but the last: one token must be computed).
    if (r.known_len() >= 2) r.n_cached = kv_.adopt_cached_prefix(r.seq(), r.tokens(0, r.known_len() - 1));
    const int64_t need = chunk_target(r) - r.n_cached;
    // Without chunked prefill a fresh prompt runs whole; a resumed sequence recomputes in chunks.
    const bool fits = spec_.chunked_prefill || resumed || need <= budget;
    const int64_t before = plan.n_tokens();
    if (!fits || !try_plan_chunk(r, budget, plan)) {
      if (r.n_cached > 0) kv_.release(r.seq());
      r.n_cached = 0;
      return;
    }
    waiting_.pop_front();
    r.state = RequestState::running;
    running_.push_back(&r);
    budget -= plan.n_tokens() - before;
    if (r.sample_index == 0 && unforked_.count(r.id) && r.n_cached == int64_t(r.prompt.size()) - 1)
      release_samples(r);  // its shared prefix was all in the prefix cache
  }
}

BatchPlan ContinuousScheduler::schedule(double now) {
  (void)now;  // arrivals are the engine's business; nothing here waits on time
  BatchPlan plan;
  plan.step = step_++;
  int64_t budget = spec_.max_batched_tokens;
  for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
    Request& r = *running_[i];
    const int64_t before = plan.n_tokens();
    bool planned = try_plan_chunk(r, budget, plan);
    while (!planned) {
      // The cache is full: free the newest sequence not yet in this plan (possibly r itself).
      Request& victim = *running_.back();
      preempt(victim);
      if (&victim == &r) break;
      planned = try_plan_chunk(r, budget, plan);
    }
    if (planned) budget -= plan.n_tokens() - before;
  }
  admit_waiting(budget, plan);
  return plan;
}

void ContinuousScheduler::update(const BatchPlan& plan) {
  std::vector<Request*> finished;
  for (const SeqChunk& ch : plan.chunks) {
    kv_.commit(ch.seq, ch.tokens);
    const auto it = std::find_if(running_.begin(), running_.end(), [&](Request* r) { return r->seq() == ch.seq; });
    ROOFLM_CHECK(it != running_.end(), "a planned sequence " + std::to_string(ch.seq) + " is running");
    Request& r = **it;
    r.n_cached += ch.n_tokens();
    ROOFLM_CHECK(r.n_cached == kv_.length(r.seq()), "scheduler and KV cache agree on sequence " +
                                                        std::to_string(r.id) + "'s length");
    if (r.sample_index == 0 && unforked_.count(r.id) && r.n_cached == int64_t(r.prompt.size()) - 1)
      release_samples(r);
    if (r.done()) finished.push_back(&r);
  }
  for (Request* r : finished) {
    kv_.release(r->seq());
    running_.erase(std::find(running_.begin(), running_.end(), r));
  }
}

}  // namespace rooflm
