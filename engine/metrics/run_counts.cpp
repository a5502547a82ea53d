// count_run(): the counters of a run (see run_counts.h).
#include "engine/metrics/run_counts.h"

#include <cmath>

namespace rooflm {

RunCounts count_run(std::span<const RequestTimeline> requests, std::span<const StepRecord> steps) {
  RunCounts counts;
  counts.steps = int64_t(steps.size());
  for (const StepRecord& step : steps) {
    counts.prefill_tokens += step.n_prefill_tokens;
    counts.decode_tokens += step.n_decode_tokens;
    counts.prefix_hit_tokens += step.prefix_hit_tokens;
  }
  for (const RequestTimeline& request : requests) {
    counts.preemptions += request.preemptions;
    if (request.failed || std::isnan(request.finish)) continue;
    counts.prompt_tokens += request.n_prompt;
    counts.output_tokens += request.n_output;
  }
  return counts;
}

nlohmann::json RunCounts::to_json() const {
  return {{"steps", steps},
          {"prefill_tokens", prefill_tokens},
          {"decode_tokens", decode_tokens},
          {"prompt_tokens", prompt_tokens},
          {"output_tokens", output_tokens},
          {"preemptions", preemptions},
          {"prefix_hit_tokens", prefix_hit_tokens}};
}

}  // namespace rooflm
