// Engine: the step loop. Feeds arrivals to the scheduler at their scheduled times (closed loop:
// when an earlier request finishes), runs each BatchPlan on the backend, stamps every output
// token and records a per-step trace.
#pragma once

#include <functional>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/profile/capture_window.h"
#include "engine/metrics/timeline.h"
#include "engine/runtime/clock.h"
#include "common/request.h"
#include "engine/sched/scheduler.h"

namespace rooflm {

struct EngineRunResult {
  std::vector<RequestTimeline> requests;
  std::vector<StepRecord> steps;
  std::vector<BatchPlan> plans;  // only when keep_plans (the cost model replays them)
};

struct EngineProgress {
  int64_t finished = 0, total = 0, steps = 0;
  double now = 0;
};

class Engine {
 public:
  Engine(Backend& backend, KvCache& kv, Scheduler& scheduler, Clock& clock)
      : backend_(backend), kv_(kv), scheduler_(scheduler), clock_(clock) {}

  // Runs `requests` (unique ids; those with scheduled arrivals sorted by arrival; closed-loop ones
  // released in vector order) to completion.
  EngineRunResult run(std::vector<Request>& requests, bool keep_plans,
                      const std::function<void(const EngineProgress&)>& on_step = {});
  // Steps of later runs go through `capture`'s before_step / after_step (nullptr: none).
  void set_capture_window(CaptureWindow* capture) { capture_ = capture; }

 private:
  CaptureWindow* capture_ = nullptr;
  Backend& backend_;
  KvCache& kv_;
  Scheduler& scheduler_;
  Clock& clock_;
};

RequestTimeline timeline_of(const Request& r);

}  // namespace rooflm
