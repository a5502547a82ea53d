// Scheduler: decides what every engine step computes. It sees requests and the KvCache interface
// (block ids, never the storage). Implementations: static and continuous.
#pragma once

#include <memory>
#include <optional>

#include "engine/kv/kv_cache.h"
#include "common/request.h"
#include "engine/scenario/scenario.h"
#include "common/batch_plan.h"

namespace rooflm {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // A request has arrived (state becomes waiting).
  virtual void add(Request* request) = 0;
  // The next step's plan; empty when nothing can run at `now`. Reserves the plan's KV.
  virtual BatchPlan schedule(double now) = 0;
  // After the step ran and the engine appended the sampled tokens to the requests: commits KV,
  // retires finished sequences.
  virtual void update(const BatchPlan& plan) = 0;
  // Nothing waiting and nothing running.
  virtual bool idle() const = 0;
  // When schedule() may return work even if no new request arrives (e.g. static batching's
  // max_wait_ms deadline); nullopt: only an arrival can wake it.
  virtual std::optional<double> wake_time() const = 0;
};

std::unique_ptr<Scheduler> make_scheduler(const BatchingSpec& spec, KvCache& kv);

}  // namespace rooflm
