// StaticScheduler implementation.
#include "engine/sched/static_scheduler.h"

#include "common/error.h"

namespace rooflm {

void StaticScheduler::add(Request* request) {
  request->state = RequestState::waiting;
  waiting_.push_back(request);
}

std::optional<double> StaticScheduler::wake_time() const {
  if (!batch_.empty() || waiting_.empty() || spec_.max_wait_ms <= 0) return std::nullopt;
  return waiting_.front()->arrival + spec_.max_wait_ms / 1000.0;
}

BatchPlan StaticScheduler::schedule(double now) {
  BatchPlan plan;
  plan.step = step_;
  if (batch_.empty()) {
    if (waiting_.empty()) return plan;
    const bool full = int64_t(waiting_.size()) >= spec_.max_batch;
    if (!full && spec_.max_wait_ms > 0 && now < *wake_time()) return plan;  // let it fill
    while (!waiting_.empty() && int64_t(batch_.size()) < spec_.max_batch &&
           kv_.can_admit(waiting_.front()->total_len())) {
      // Static batching reserves each sequence's whole length up front (a paged cache then holds
      // the blocks, so the next can_admit sees what is left).
      ROOFLM_CHECK(kv_.reserve(waiting_.front()->seq(), waiting_.front()->total_len()), "admitted request fits");
      batch_.push_back(waiting_.front());
      waiting_.pop_front();
    }
    ROOFLM_CHECK(!batch_.empty(), "the KV cache cannot hold request " +
                                      std::to_string(waiting_.front()->id) + " of " +
                                      std::to_string(waiting_.front()->total_len()) + " tokens");
  }
  for (Request* r : batch_) {
    if (r->done()) {
      ++plan.idle_slots;
      continue;
    }
    SeqChunk ch;
    ch.seq = r->seq();
    ch.start_pos = r->n_cached;
    ch.is_prefill = r->n_cached == 0;
    if (ch.is_prefill)
      ch.tokens = r->prompt;
    else
      ch.tokens = {r->output.back()};
    ch.sample = true;
    ch.sampling = r->sampling;
    ch.sample_seed = r->seed;
    r->state = RequestState::running;
    plan.chunks.push_back(std::move(ch));
  }
  ++step_;
  return plan;
}

void StaticScheduler::update(const BatchPlan& plan) {
  for (const SeqChunk& ch : plan.chunks) kv_.commit(ch.seq, ch.tokens);
  for (Request* r : batch_) r->n_cached = kv_.length(r->seq());
  bool all_done = true;
  for (Request* r : batch_) all_done = all_done && r->done();
  if (!all_done) return;
  for (Request* r : batch_) kv_.release(r->seq());  // slots are held until the whole batch ends
  batch_.clear();
}

}  // namespace rooflm
