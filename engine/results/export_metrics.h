// The headline numbers of a results document as `rooflm export` hands them to benchmark trackers
// (export_bencher.h, export_github_benchmark.h): per run, each latency percentile of TTFT, TPOT,
// ITL and E2E ("ttft_ms.p99", ms, smaller is better), the rates output_tok_s, req_s, goodput_req_s,
// goodput_tok_s (bigger is better), and per capacity-search variant its capacity; each with its
// 95% interval over repetitions where summary.ci has one (rooflm.result/1.5).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

struct ExportedMetric {
  std::string variant;  // the run's label ("default", "max_batch=8"), or the capacity entry's variant
  std::string key;      // "ttft_ms.p99", "output_tok_s", "capacity"
  std::string unit;     // "ms", "tok/s", "req/s", or the searched path's unit
  double value = 0;     // the pooled summary's value
  bool smaller_is_better = true;
  std::optional<double> lo, hi;  // summary.ci[key]
  int64_t ci_n = 0;              // repetitions behind lo / hi
};

// Every metric with a numeric value, in run order, latencies before rates; a latency without
// samples (null) is left out.
std::vector<ExportedMetric> exported_metrics(const nlohmann::json& doc);

// "<scenario name>/<variant>": the benchmark name both trackers see.
std::string benchmark_name(const nlohmann::json& doc, const ExportedMetric& metric);

}  // namespace rooflm
