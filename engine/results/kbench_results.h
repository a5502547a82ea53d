// Google Benchmark JSON (rooflm_kbench --benchmark_out, with --benchmark_repetitions=N) read as a
// results document, so that `rooflm compare` (and its Mann-Whitney U test) compares two kbench files
// as it compares two runs: one run per benchmark (variant label = the benchmark's run_name), its
// per-repetition samples under run.kernel_samples:
//   kernel_us    real_time of each repetition in microseconds (lower is better)
//   kernel_gb_s  its "GB/s" counter (higher is better)
// The aggregate rows (mean, median, stddev, cv) are skipped; the GPU (context "gpu") is the
// environment's, the scenario name "kbench".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rooflm {

inline constexpr const char* kKbenchResultsKind = "kbench";

// An object with "context" (object) and "benchmarks" (array): Google Benchmark's JSON output.
bool is_benchmark_json(const nlohmann::json& doc);

// Throws InputError naming `origin` and the entry when a benchmark lacks its name, time or unit.
nlohmann::json benchmark_json_as_results(const nlohmann::json& doc, const std::string& origin);

}  // namespace rooflm
