// Metric summaries, exactly as defined in DESIGN.md / README.md:
//   TTFT = first_token - arrival (parts: queue = first_scheduled - arrival, prefill = first_token - first_scheduled)
//   TPOT = (finish - first_token) / (n_output - 1), per request, only when n_output >= 2
//   ITL  = every gap between consecutive output tokens of one request, pooled over requests
//   E2E  = finish - arrival
//   throughput = output tokens / (last finish - first arrival); also total tokens/s and requests/s
//   goodput = requests per second (same window) that meet every SLO of the scenario
// With n samples per request every sample is a request here (its own timeline).
// Percentiles by linear interpolation (numpy's default); std is the population std (numpy's default).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics/timeline.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct Stats {
  int64_t count = 0;
  double mean = 0, std = 0, min = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
  nlohmann::json to_json() const;  // {count, mean, std, min, p50, p90, p95, p99, max}; nulls when count == 0
};

// Linear-interpolation percentile of `sorted` (ascending), p in [0, 100].
double percentile_sorted(std::span<const double> sorted, double p);
Stats compute_stats(std::vector<double> samples);

struct Throughput {
  double output_tok_s = 0, total_tok_s = 0, req_s = 0;
};

struct Summary {
  Stats ttft_ms, tpot_ms, itl_ms, e2e_ms, queue_ms, prefill_ms;
  Throughput throughput;
  double goodput_req_s = 0;
  double duration_s = 0;   // last finish - first arrival
  int64_t completed = 0, failed = 0;
  int64_t slo_met = 0;     // completed requests meeting every SLO
  int64_t preemptions = 0; // KV preemptions (recompute) over all requests
  nlohmann::json to_json() const;  // keys as in the results contract
};

// Summarises the finished requests of a run (failed ones are counted, not measured).
Summary summarize(std::span<const RequestTimeline> requests, const SloSpec& slo);

}  // namespace rooflm
