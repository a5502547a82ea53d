// make_scheduler: the batching policy named in the scenario.
#include "common/error.h"
#include "engine/sched/continuous_scheduler.h"
#include "engine/sched/static_scheduler.h"

namespace rooflm {

std::unique_ptr<Scheduler> make_scheduler(const BatchingSpec& spec, KvCache& kv) {
  if (spec.policy == "static") return std::make_unique<StaticScheduler>(spec, kv);
  if (spec.policy == "continuous") return std::make_unique<ContinuousScheduler>(spec, kv);
  throw InputError("engine.batching.policy \"" + spec.policy + "\" is unknown (have: static, continuous)");
}

}  // namespace rooflm
