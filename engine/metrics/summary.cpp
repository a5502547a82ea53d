// summarize(): turns request timelines into the latency statistics, throughput and goodput of a
// run, following the metric definitions in summary.h (seconds in, milliseconds out).
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "engine/metrics/summary.h"

namespace rooflm {

namespace {

constexpr double kMsPerSecond = 1000.0;

bool is_completed(const RequestTimeline& request) {
  return !request.failed && !std::isnan(request.finish);
}

// TPOT of one request in ms; only defined with at least two output tokens.
double tpot_ms(const RequestTimeline& request) {
  return (request.finish - request.first_token()) / double(request.n_output - 1) * kMsPerSecond;
}

}  // namespace

// A request meets the SLO when every limit present holds; a request with fewer than two output
// tokens has no TPOT and meets a TPOT limit vacuously.
SloFlags slo_flags(const RequestTimeline& request, const SloSpec& slo) {
  SloFlags flags;
  if (slo.ttft_ms) flags.ttft = (request.first_token() - request.arrival) * kMsPerSecond <= *slo.ttft_ms;
  if (slo.tpot_ms && request.n_output >= 2) flags.tpot = tpot_ms(request) <= *slo.tpot_ms;
  if (slo.e2e_ms) flags.e2e = (request.finish - request.arrival) * kMsPerSecond <= *slo.e2e_ms;
  return flags;
}

Summary summarize(std::span<const RequestTimeline> requests, const SloSpec& slo, std::span<const double> percentiles) {
  Summary summary;
  std::vector<double> ttft, tpot, itl, e2e, queue, prefill;  // ms
  double first_arrival = std::numeric_limits<double>::infinity();
  double last_finish = -std::numeric_limits<double>::infinity();
  int64_t output_tokens = 0, total_tokens = 0;

  for (const RequestTimeline& request : requests) {
    if (request.failed) ++summary.failed;
    summary.preemptions += request.preemptions;
    if (!is_completed(request)) continue;
    ROOFLM_CHECK(request.n_output == int64_t(request.token_times.size()),
                 "request " + std::to_string(request.id) + ": n_output != token_times.size()");
    ROOFLM_CHECK(!std::isnan(request.first_scheduled),
                 "request " + std::to_string(request.id) + " finished but was never scheduled");
    ++summary.completed;
    first_arrival = std::min(first_arrival, request.arrival);
    last_finish = std::max(last_finish, request.finish);
    output_tokens += request.n_output;
    total_tokens += request.n_prompt + request.n_output;

    e2e.push_back((request.finish - request.arrival) * kMsPerSecond);
    queue.push_back((request.first_scheduled - request.arrival) * kMsPerSecond);
    if (!request.token_times.empty()) {
      ttft.push_back((request.first_token() - request.arrival) * kMsPerSecond);
      prefill.push_back((request.first_token() - request.first_scheduled) * kMsPerSecond);
    }
    if (request.n_output >= 2) tpot.push_back(tpot_ms(request));
    for (size_t i = 1; i < request.token_times.size(); ++i)
      itl.push_back((request.token_times[i] - request.token_times[i - 1]) * kMsPerSecond);
    if (slo_flags(request, slo).all()) {
      ++summary.slo_met;
      summary.slo_met_output_tokens += request.n_output;
    }
  }

  summary.ttft_ms = compute_stats(std::move(ttft), percentiles);
  summary.tpot_ms = compute_stats(std::move(tpot), percentiles);
  summary.itl_ms = compute_stats(std::move(itl), percentiles);
  summary.e2e_ms = compute_stats(std::move(e2e), percentiles);
  summary.queue_ms = compute_stats(std::move(queue), percentiles);
  summary.prefill_ms = compute_stats(std::move(prefill), percentiles);

  // Rates over the window first arrival -> last finish; an empty (or zero-length) window has none.
  if (summary.completed == 0) return summary;
  summary.duration_s = last_finish - first_arrival;
  if (summary.duration_s <= 0) return summary;
  summary.throughput.output_tok_s = double(output_tokens) / summary.duration_s;
  summary.throughput.total_tok_s = double(total_tokens) / summary.duration_s;
  summary.throughput.req_s = double(summary.completed) / summary.duration_s;
  summary.goodput_req_s = double(summary.slo_met) / summary.duration_s;
  summary.goodput_tok_s = double(summary.slo_met_output_tokens) / summary.duration_s;
  return summary;
}

nlohmann::json Summary::to_json() const {
  return {{"ttft_ms", ttft_ms.to_json()},
          {"tpot_ms", tpot_ms.to_json()},
          {"itl_ms", itl_ms.to_json()},
          {"e2e_ms", e2e_ms.to_json()},
          {"queue_ms", queue_ms.to_json()},
          {"prefill_ms", prefill_ms.to_json()},
          {"throughput",
           {{"output_tok_s", throughput.output_tok_s},
            {"total_tok_s", throughput.total_tok_s},
            {"req_s", throughput.req_s}}},
          {"goodput_req_s", goodput_req_s},
          {"goodput_tok_s", goodput_tok_s},
          {"duration_s", duration_s},
          {"preemptions", preemptions},
          {"requests", {{"completed", completed}, {"failed", failed}, {"slo_met", slo_met}}},
          {"slo_met_output_tokens", slo_met_output_tokens}};
}

}  // namespace rooflm

