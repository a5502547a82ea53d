// What a run records: one timeline per request and one record per engine step. Times are seconds
// since the run's start; metrics (engine/metrics/summary.h) are computed from these alone.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/kernel_time.h"

namespace rooflm {

struct RequestTimeline {
  int64_t id = 0;
  int64_t n_prompt = 0;
  int64_t n_output = 0;            // tokens generated (== token_times.size())
  double arrival = 0;
  double first_scheduled = 0;      // NaN if never scheduled
  std::vector<double> token_times; // time each output token was produced
  double finish = 0;               // NaN if not finished
  bool failed = false;
  int64_t preemptions = 0;

  double first_token() const { return token_times.empty() ? arrival : token_times.front(); }
  nlohmann::json to_json() const;
};

struct StepRecord {
  int64_t index = 0;
  double start = 0;
  double end = 0;
  int64_t n_seqs = 0;
  int64_t n_prefill_tokens = 0;
  int64_t n_decode_tokens = 0;
  int64_t idle_slots = 0;          // static batching: slots of finished sequences still held
  int64_t kv_used_tokens = 0;
  int64_t kv_reserved_tokens = 0;
  int64_t kv_capacity_tokens = 0;
  int64_t context_tokens = 0;      // sum over chunks of end position (tokens attended)
  int64_t live_seqs = 0;           // sequences holding KV at the end of the step
  int64_t prefix_query_tokens = 0; // prompt tokens looked up in the prefix cache this step
  int64_t prefix_hit_tokens = 0;   // of which found cached
  double device_seconds = -1;      // GPU time of the step by CUDA events (-1: not measured); the
                                   // rest of seconds() is host overhead (launches, sync, scheduling)
  std::vector<KernelTime> kernels; // kernel trace of the step (measure.kernel_trace); not in to_json():
                                   // the run carries it summed (engine/metrics/kernel_breakdown.h)

  double seconds() const { return end - start; }
  nlohmann::json to_json() const;
};

}  // namespace rooflm
