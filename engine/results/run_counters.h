// Counters a gate can hold to their baseline (policy "counters"): what a run did, not how long it
// took. They come from run.summary.counts (engine/metrics/run_counts.h), summary.requests.completed
// and summary.peak_concurrent_seqs. A counter is judged in both directions: on a deterministic
// scenario (burst arrivals on the CPU backend) any change means the scheduler or the workload
// changed, which is a behaviour change to review, not noise.
#pragma once

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

}  // namespace rooflm
