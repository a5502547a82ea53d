// results.json (`schema: "rooflm.result/1"`): environment capture and assembly of runs. Written with
// write_json_atomic (atomic_write.h), read back only through the results reader (results_reader.h).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/results/atomic_write.h"

namespace rooflm {

inline constexpr const char* kResultSchema = "rooflm.result/1.5";
// minor 1: summary.counts; 2: runs[i].accuracy; 3: runs[i].telemetry, runs[i].invalid_reasons,
// summary.energy_j / tokens_per_j / total_tokens_per_j; 4: capacity (a scenario search: one entry
// per variant) and runs[i].probe (each probe of it); 5: measure.percentiles (stats keyed by any
// list, summary.percentiles), summary.goodput_tok_s / slo_met_output_tokens, summary.ci (95%
// intervals over repetitions)

// {gpu, driver, cuda, clocks, host, os, cpu, compiler, build_type, git_commit, git_dirty, timestamp,
//  rooflm_version}
// from `device_info` (the backend's device_info(); keys it has override the defaults, which are
// null for gpu/driver/cuda/clocks) plus what the host says.
nlohmann::json capture_environment(const nlohmann::json& device_info);

// {"schema", "environment", "scenario", "runs"}, and "capacity" when `capacity` is not empty.
nlohmann::json make_results(const nlohmann::json& environment, const nlohmann::json& scenario,
                            const std::vector<nlohmann::json>& runs,
                            const std::vector<nlohmann::json>& capacity = {});

}  // namespace rooflm
