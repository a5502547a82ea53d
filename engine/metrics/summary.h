// Metric summaries, exactly as defined in DESIGN.md / README.md:
//   TTFT = first_token - arrival (parts: queue = first_scheduled - arrival, prefill = first_token - first_scheduled)
//   TPOT = (finish - first_token) / (n_output - 1), per request, only when n_output >= 2
//   ITL  = every gap between consecutive output tokens of one request, pooled over requests
//   E2E  = finish - arrival
//   throughput = output tokens / (last finish - first arrival); also total tokens/s and requests/s
//   goodput = requests per second (same window) that meet every SLO of the scenario
// With n samples per request every sample is a request here (its own timeline).
//   goodput_tok_s = output tokens per second (same window) of the requests that meet every SLO
// Percentiles by linear interpolation (numpy's default), at the scenario's measure.percentiles
// (engine/metrics/percentiles.h); std is the population std (numpy's default).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics/percentiles.h"
#include "engine/metrics/timeline.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct PercentileValue {
  double p = 0;      // in (0, 100)
  double value = 0;  // meaningless when the Stats has no samples
};

struct Stats {
  int64_t count = 0;
  double mean = 0, std = 0, min = 0, max = 0;
  std::vector<PercentileValue> percentiles;  // ascending p, the ones asked for
  // The value at `p`; throws std::logic_error when p is not one of `percentiles`.
  double percentile(double p) const;
  // {count, mean, std, min, <percentile_name(p)>..., max}; nulls when count == 0
  nlohmann::json to_json() const;
};

// Linear-interpolation percentile of `sorted` (ascending), p in [0, 100].
double percentile_sorted(std::span<const double> sorted, double p);
// `percentiles`: ascending, each in (0, 100) (percentiles.h).
Stats compute_stats(std::vector<double> samples, std::span<const double> percentiles = kDefaultPercentiles);

struct Throughput {
  double output_tok_s = 0, total_tok_s = 0, req_s = 0;
};

struct Summary {
  Stats ttft_ms, tpot_ms, itl_ms, e2e_ms, queue_ms, prefill_ms;
  Throughput throughput;
  double goodput_req_s = 0;
  double goodput_tok_s = 0;  // output tokens/s of the requests meeting every SLO
  double duration_s = 0;   // last finish - first arrival
  int64_t completed = 0, failed = 0;
  int64_t slo_met = 0;     // completed requests meeting every SLO
  int64_t slo_met_output_tokens = 0;  // their output tokens
  int64_t preemptions = 0; // KV preemptions (recompute) over all requests
  nlohmann::json to_json() const;  // keys as in the results contract
};

// Summarises the finished requests of a run (failed ones are counted, not measured), each latency
// at `percentiles` (ascending, in (0, 100)).
Summary summarize(std::span<const RequestTimeline> requests, const SloSpec& slo,
                  std::span<const double> percentiles = kDefaultPercentiles);

// Whether a completed request meets every limit of `slo` that is set: the per-limit verdicts
// (nullopt: no such limit, or TPOT of a request with fewer than two output tokens) and their AND.
struct SloFlags {
  std::optional<bool> ttft, tpot, e2e;
  bool all() const { return ttft.value_or(true) && tpot.value_or(true) && e2e.value_or(true); }
};
SloFlags slo_flags(const RequestTimeline& request, const SloSpec& slo);

}  // namespace rooflm
