// Raw samples of one run of a results file, per metric, for significance tests (compare, gate):
//   ttft_ms, tpot_ms, e2e_ms, itl_ms  per request / per token gap, from run.requests (completed only)
//   step_ms                           per engine step, from run.steps
//   output_tok_s, goodput_req_s,      per repetition, from run.repetitions
//   goodput_tok_s
//   kernel_us, kernel_gb_s            per repetition of a kbench benchmark, from run.kernel_samples
//                                     (Google Benchmark JSON read as results: kbench_results.h)
// Definitions as in DESIGN.md (TTFT = first_token - arrival, TPOT = (finish - first_token) /
// (n_output - 1) for n_output >= 2, ITL = every gap between consecutive tokens, E2E = finish - arrival).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

enum class MetricDirection { lower_is_better, higher_is_better };

struct MetricInfo {
  std::string name;  // e.g. "ttft_ms"
  MetricDirection direction;
};

// The metrics of a run of the engine, in report order.
const std::vector<MetricInfo>& sampled_metrics();
// The metrics of a kbench benchmark.
const std::vector<MetricInfo>& kernel_metrics();

// Throws InputError naming `metric` when it is not one of sampled_metrics() or kernel_metrics().
const MetricInfo& sampled_metric(const std::string& metric);

// Samples of `metric` in `run` (a results.json "runs" entry); empty when the run did not record
// them (measure.record_requests / record_steps off).
std::vector<double> samples_of(const nlohmann::json& run, const std::string& metric);

}  // namespace rooflm
