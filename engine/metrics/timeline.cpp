// JSON form of the per-request timelines and per-step records that results.json carries.
// Times stay in seconds; a time that never happened (NaN) is written as null.
#include <cmath>

#include "engine/metrics/timeline.h"

namespace rooflm {

namespace {

nlohmann::json time_or_null(double seconds) {
  return std::isnan(seconds) ? nlohmann::json(nullptr) : nlohmann::json(seconds);
}

}  // namespace

nlohmann::json RequestTimeline::to_json() const {
  nlohmann::json token_times_json = nlohmann::json::array();
  for (double t : token_times) token_times_json.push_back(time_or_null(t));
  return {{"id", id},
          {"n_prompt", n_prompt},
          {"n_output", n_output},
          {"arrival", time_or_null(arrival)},
          {"first_scheduled", time_or_null(first_scheduled)},
          // A request that produced no token has no first token (first_token() would say arrival).
          {"first_token", token_times.empty() ? nlohmann::json(nullptr) : time_or_null(first_token())},
          {"finish", time_or_null(finish)},
          {"token_times", std::move(token_times_json)},
          {"failed", failed},
          {"preemptions", preemptions}};
}

nlohmann::json StepRecord::to_json() const {
  return {{"index", index},
          {"start", start},
          {"end", end},
          {"seconds", seconds()},
          {"n_seqs", n_seqs},
          {"n_prefill_tokens", n_prefill_tokens},
          {"n_decode_tokens", n_decode_tokens},
          {"idle_slots", idle_slots},
          {"kv_used_tokens", kv_used_tokens},
          {"kv_reserved_tokens", kv_reserved_tokens},
          {"kv_capacity_tokens", kv_capacity_tokens},
          {"context_tokens", context_tokens},
          {"live_seqs", live_seqs},
          {"prefix_query_tokens", prefix_query_tokens},
          {"prefix_hit_tokens", prefix_hit_tokens},
          {"device_seconds", device_seconds >= 0 ? nlohmann::json(device_seconds) : nlohmann::json(nullptr)},
          {"host_overhead_seconds", device_seconds >= 0 ? nlohmann::json(seconds() - device_seconds) : nlohmann::json(nullptr)}};
}

}  // namespace rooflm
