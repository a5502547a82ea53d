// StaticScheduler: forms a batch of up to max_batch waiting requests (waiting at most max_wait_ms
// for it to fill), prefills them together, then decodes until the LAST one ends; finished
// sequences keep their slot (idle_slots, the padding waste) and nothing joins until the batch ends.
#pragma once

#include <deque>
#include <vector>

#include "engine/sched/scheduler.h"

namespace rooflm {

class StaticScheduler final : public Scheduler {
 public:
  StaticScheduler(const BatchingSpec& spec, KvCache& kv) : spec_(spec), kv_(kv) {}

  void add(Request* request) override;
  BatchPlan schedule(double now) override;
  void update(const BatchPlan& plan) override;
  bool idle() const override { return waiting_.empty() && batch_.empty(); }
  std::optional<double> wake_time() const override;

 private:
  BatchingSpec spec_;
  KvCache& kv_;
  std::deque<Request*> waiting_;
  std::vector<Request*> batch_;
  int64_t step_ = 0;
};

}  // namespace rooflm
