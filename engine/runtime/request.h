// Request: one inference request and its lifecycle timestamps (seconds since the run's start on
// the engine's clock).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "engine/kv/kv_cache.h"
#include "engine/runtime/sampling.h"

namespace rooflm {

inline constexpr double kNoTime = std::numeric_limits<double>::quiet_NaN();

enum class RequestState { pending, waiting, running, finished, failed };

struct Request {
  int64_t id = 0;
  double arrival = 0;              // from the workload schedule
  std::vector<int32_t> prompt;
  int64_t max_output = 1;          // output length (forced: EOS is ignored so every variant does the same work)
  SamplingParams sampling;
  uint64_t seed = 0;

  RequestState state = RequestState::pending;
  std::vector<int32_t> output;     // generated tokens
  int64_t n_cached = 0;            // tokens whose KV is in the cache (prompt + fed outputs)

  double first_scheduled = kNoTime;
  std::vector<double> token_times; // one per output token
  double finish = kNoTime;

  SeqId seq() const { return id; }
  int64_t total_len() const { return int64_t(prompt.size()) + max_output; }
  bool done() const { return int64_t(output.size()) >= max_output; }
};

}  // namespace rooflm
