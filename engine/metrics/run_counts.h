// What a run did, counted rather than timed: engine steps, tokens computed in prefill (prompt
// tokens, recomputed ones after a preemption included, prefix-cache hits excluded) and in decode,
// prompt and output tokens of completed requests, preemptions and prefix-cache hits. With burst
// arrivals these follow from the scheduler alone, so on the CPU backend they are exact and
// `rooflm gate` can hold them to their baseline while its timings are too noisy to gate.
#pragma once

#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "engine/metrics/timeline.h"

namespace rooflm {

struct RunCounts {
  int64_t steps = 0;
  int64_t prefill_tokens = 0, decode_tokens = 0;  // computed by the engine, summed over steps
  int64_t prompt_tokens = 0, output_tokens = 0;   // of completed requests
  int64_t preemptions = 0;
  int64_t prefix_hit_tokens = 0;
  nlohmann::json to_json() const;  // results.json run.summary.counts
};

RunCounts count_run(std::span<const RequestTimeline> requests, std::span<const StepRecord> steps);

}  // namespace rooflm
