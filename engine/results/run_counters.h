// Counters a gate can hold to their baseline (policy "counters"): what a run did, not how long it
// took. They come from run.summary.counts (engine/metrics/run_counts.h), summary.requests.completed
// and summary.peak_concurrent_seqs. A counter is judged in both directions: on a deterministic
// scenario (burst arrivals on the CPU backend) any change means the scheduler or the workload
// changed, which is a behaviour change to review, not noise.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

// Every counter counter_of() knows, in report order.
const std::vector<std::string>& run_counter_names();

// Throws InputError naming `name` when it is not one of run_counter_names().
void check_run_counter_name(const std::string& name);

// The counter's value in `run` (a results.json "runs" entry); nullopt when the run does not record
// it (a file written before rooflm.result/1.1).
std::optional<double> counter_of(const nlohmann::json& run, const std::string& name);

// One counter of one variant in two runs. change_pct = (candidate - baseline) / baseline * 100:
// 0 when equal, infinite from 0 to non-zero, NaN when a side does not record the counter.
struct CounterChange {
  std::string variant, counter;
  double baseline = NAN, candidate = NAN, change_pct = NAN;
  bool recorded() const { return !std::isnan(baseline) && !std::isnan(candidate); }
  nlohmann::json to_json() const;  // {"variant", "counter", "baseline", "candidate", "change_pct"} (nulls)
};

CounterChange compare_counter(const std::string& variant, const std::string& name, const nlohmann::json& base_run,
                              const nlohmann::json& cand_run);

}  // namespace rooflm
