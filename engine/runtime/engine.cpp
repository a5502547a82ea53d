// Engine step loop.
#include "engine/runtime/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <stdexcept>
#include <unordered_map>

#include "common/error.h"
#include "engine/profile/profile_range.h"
#include "engine/runtime/interrupt.h"

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
  t.preemptions = r.preemptions;
  return t;
}

EngineRunResult Engine::run(std::vector<Request>& requests, bool keep_plans,
                            const std::function<void(const EngineProgress&)>& on_step) {
  // Open-loop requests arrive at their scheduled times; closed-loop ones are released, one group
  // (a workload request and its samples) at a time, when an earlier group finishes.
  std::unordered_map<SeqId, Request*> by_seq;
  std::vector<Request*> scheduled_arrivals;
  std::deque<Request*> closed_loop_queue;
  std::unordered_map<int64_t, int64_t> unfinished_in_group;
  for (Request& r : requests) {
    ROOFLM_CHECK(by_seq.emplace(r.seq(), &r).second, "request ids are unique");
    ++unfinished_in_group[r.group];
    if (r.arrives_on_finish) {
      closed_loop_queue.push_back(&r);
      continue;
    }
    ROOFLM_CHECK(scheduled_arrivals.empty() || scheduled_arrivals.back()->arrival <= r.arrival,
                 "requests sorted by arrival");
    scheduled_arrivals.push_back(&r);
  }
  auto release_next_group = [&](double now) {
    if (closed_loop_queue.empty()) return;
    const int64_t group = closed_loop_queue.front()->group;
    while (!closed_loop_queue.empty() && closed_loop_queue.front()->group == group) {
      closed_loop_queue.front()->arrival = now;
      scheduler_.add(closed_loop_queue.front());
      closed_loop_queue.pop_front();
    }
  };

  EngineRunResult result;
  size_t next_arrival = 0;
  int64_t finished = 0;
  const int64_t total = int64_t(requests.size());

  while (finished < total) {
    throw_if_interrupted();  // SIGINT / SIGTERM: stop before the next step (interrupt.h)
    const double now = clock_.now();
    while (next_arrival < scheduled_arrivals.size() && scheduled_arrivals[next_arrival]->arrival <= now)
      scheduler_.add(scheduled_arrivals[next_arrival++]);

    const KvStats kv_before = kv_.stats();
    BatchPlan plan = scheduler_.schedule(now);
    if (plan.empty()) {
      double wake = INFINITY;
      if (next_arrival < scheduled_arrivals.size()) wake = scheduled_arrivals[next_arrival]->arrival;
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
      Request& r = *by_seq.at(ch.seq);
      if (std::isnan(r.first_scheduled)) r.first_scheduled = rec.start;
    }
    const std::vector<SeqId> seqs = plan.seqs();
    if (capture_) capture_->before_step(plan, rec.index);
    StepOutput out;
    {
      char name[48];  // "decode step 12" (phase_of: prefill | decode | mixed)
      std::snprintf(name, sizeof name, "%s step %lld", step_phase_name(phase_of(plan)).data(),
                    static_cast<long long>(rec.index));
      const ProfileRange range(name, {plan.n_prefill_tokens(), plan.n_decode_tokens(), int64_t(plan.chunks.size())});
      backend_.copy_kv_blocks(kv_.geometry(), kv_.take_block_copies());  // copy-on-write before the step writes
      out = backend_.forward(plan, kv_.view(seqs), false);
    }
    if (capture_) capture_->after_step();
    clock_.advance(out.modelled_seconds);  // virtual clock only
    rec.end = clock_.now();
    rec.device_seconds = out.device_seconds;
    rec.kernels = std::move(out.kernels);

    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      const SeqChunk& ch = plan.chunks[i];
      if (!ch.sample) continue;
      Request& r = *by_seq.at(ch.seq);
      r.output.push_back(out.next_tokens[i]);
      r.token_times.push_back(rec.end);
      if (r.done()) {
        r.finish = rec.end;
        r.state = RequestState::finished;
        ++finished;
        if (--unfinished_in_group[r.group] == 0) release_next_group(rec.end);
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
    rec.live_seqs = kv.live_seqs;
    rec.prefix_query_tokens = kv.prefix_query_tokens - kv_before.prefix_query_tokens;
    rec.prefix_hit_tokens = kv.prefix_hit_tokens - kv_before.prefix_hit_tokens;
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
