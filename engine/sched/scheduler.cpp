// make_scheduler: the batching policy named in the scenario.
#include "common/error.h"
#include "engine/sched/continuous_scheduler.h"
#include "engine/sched/static_scheduler.h"

namespace rooflm {

std::unique_ptr<Scheduler> make_scheduler(const BatchingSpec& spec, KvCache& kv) {
  switch (spec.policy) {
    case BatchingPolicy::static_batches: return std::make_unique<StaticScheduler>(spec, kv);
    case BatchingPolicy::continuous: return std::make_unique<ContinuousScheduler>(spec, kv);
  }
  ROOFLM_CHECK(false, "unknown batching policy");
  return nullptr;
}

}  // namespace rooflm
