// Request: one sequence to generate and its lifecycle timestamps (seconds since the run's start on
// the engine's clock). A workload request with `n` samples becomes n Requests that share one
// prompt, one arrival and one `group`: sample 0 (the primary) is prefilled and the other samples
// are forked from it when the KV cache can fork; each sample has its own timeline.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "common/kv_view.h"
#include "common/sampling.h"

namespace rooflm {

inline constexpr double kNoTime = std::numeric_limits<double>::quiet_NaN();

enum class RequestState { pending, waiting, running, finished, failed };

struct Request {
  int64_t id = 0;                  // unique; also the sequence id in the KV cache
  int64_t group = 0;               // the workload request it samples (samples of one request share it)
  int64_t sample_index = 0;        // 0: the primary; 1..n_samples-1 are forked from request id - sample_index
  int64_t n_samples = 1;
  double arrival = 0;              // from the workload schedule (closed loop: set when it is released)
  bool arrives_on_finish = false;  // closed loop: released when an earlier group finishes
  std::vector<int32_t> prompt;
  int64_t max_output = 1;          // output length (forced: EOS is ignored so every variant does the same work)
  SamplingParams sampling;
  uint64_t seed = 0;

  RequestState state = RequestState::pending;
  std::vector<int32_t> output;     // generated tokens
  int64_t n_cached = 0;            // tokens whose KV is in the cache (prompt + fed outputs)
  int64_t preemptions = 0;         // times its KV was dropped under memory pressure (recomputed later)

  double first_scheduled = kNoTime;
  std::vector<double> token_times; // one per output token
  double finish = kNoTime;

  SeqId seq() const { return id; }
  int64_t primary_id() const { return id - sample_index; }
  int64_t total_len() const { return int64_t(prompt.size()) + max_output; }
  bool done() const { return int64_t(output.size()) >= max_output; }
  // Tokens known so far: the prompt, then the outputs (the last output is not yet in the cache).
  int64_t known_len() const { return int64_t(prompt.size() + output.size()); }
  int32_t token_at(int64_t pos) const {
    return pos < int64_t(prompt.size()) ? prompt[size_t(pos)] : output[size_t(pos) - prompt.size()];
  }
  // Known tokens [begin, end).
  std::vector<int32_t> tokens(int64_t begin, int64_t end) const {
    std::vector<int32_t> out;
    out.reserve(size_t(end - begin));
    for (int64_t p = begin; p < end; ++p) out.push_back(token_at(p));
    return out;
  }
};

}  // namespace rooflm
