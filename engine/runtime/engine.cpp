// Engine step loop.
#include "engine/runtime/engine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/common/error.h"

namespace rooflm {

RequestTimeline timeline_of(const Request& r) {
  RequestTimeline t;
  t.id = r.id;
  t.n_prompt = int64_t(r.prompt.size());
  t.n_output = int64_t(r.output.size());
  t.arrival = r.arrival;
  t.first_scheduled = r.first_scheduled;
  t.token_times = r.token_times;
  t.finish = r.finish;
  t.failed = r.state == RequestState::failed;
  return t;
}

EngineRunResult Engine::run(std::vector<Request>& requests, bool keep_plans,
                            const std::function<void(const EngineProgress&)>& on_step) {
  for (size_t i = 0; i < requests.size(); ++i) {
    ROOFLM_CHECK(requests[i].id == int64_t(i), "request ids must index the request vector");
    ROOFLM_CHECK(i == 0 || requests[i - 1].arrival <= requests[i].arrival, "requests sorted by arrival");
  }
  EngineRunResult result;
  size_t next_arrival = 0;
  int64_t finished = 0;
  const int64_t total = int64_t(requests.size());

  while (finished < total) {
    const double now = clock_.now();
    while (next_arrival < requests.size() && requests[next_arrival].arrival <= now)
      scheduler_.add(&requests[next_arrival++]);

    BatchPlan plan = scheduler_.schedule(now);
    if (plan.empty()) {
      double wake = INFINITY;
      if (next_arrival < requests.size()) wake = requests[next_arrival].arrival;
      if (auto t = scheduler_.wake_time()) wake = std::min(wake, *t);
      if (!std::isfinite(wake))
        throw std::runtime_error("engine stalled: " + std::to_string(total - finished) +
                                 " requests unfinished and nothing can be scheduled");
      clock_.sleep_until(wake);
      continue;
    }

    StepRecord rec;
    rec.index = int64_t(result.steps.size());
    rec.start = clock_.now();
    for (const SeqChunk& ch : plan.chunks) {
      Request& r = requests[size_t(ch.seq)];
      if (std::isnan(r.first_scheduled)) r.first_scheduled = rec.start;
    }
    const std::vector<SeqId> seqs = plan.seqs();
    backend_.copy_kv_blocks(kv_.geometry(), kv_.take_block_copies());  // copy-on-write before the step writes
    const StepOutput out = backend_.forward(plan, kv_.view(seqs), false);
    clock_.advance(out.modelled_seconds);  // virtual clock only
    rec.end = clock_.now();
    rec.device_seconds = out.device_seconds;

    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      const SeqChunk& ch = plan.chunks[i];
      if (!ch.sample) continue;
      Request& r = requests[size_t(ch.seq)];
      r.output.push_back(out.next_tokens[i]);
      r.token_times.push_back(rec.end);
      if (r.done()) {
        r.finish = rec.end;
        r.state = RequestState::finished;
        ++finished;
      }
    }
    // KV occupancy at the end of the step (this step's tokens written, nothing released yet).
    const KvStats kv = kv_.stats();
    scheduler_.update(plan);

    rec.n_seqs = int64_t(plan.chunks.size());
    rec.n_prefill_tokens = plan.n_prefill_tokens();
    rec.n_decode_tokens = plan.n_decode_tokens();
    rec.idle_slots = plan.idle_slots;
    rec.kv_used_tokens = kv.used_tokens + plan.n_tokens();
    rec.kv_reserved_tokens = kv.reserved_tokens;
    rec.kv_capacity_tokens = kv.capacity_tokens;
    for (const SeqChunk& ch : plan.chunks) rec.context_tokens += ch.end_pos();
    result.steps.push_back(rec);
    if (keep_plans) result.plans.push_back(std::move(plan));
    if (on_step) on_step({finished, total, int64_t(result.steps.size()), rec.end});
  }

  result.requests.reserve(requests.size());
  for (const Request& r : requests) result.requests.push_back(timeline_of(r));
  return result;
}

}  // namespace rooflm
