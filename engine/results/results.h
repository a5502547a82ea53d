// results.json (`schema: "rooflm.result/1"`): environment capture, assembly of runs, atomic write.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

inline constexpr const char* kResultSchema = "rooflm.result/1.1";  // minor 1: summary.counts

// {gpu, driver, cuda, clocks, host, os, cpu, compiler, build_type, git_commit, git_dirty, timestamp,
//  rooflm_version}
// from `device_info` (the backend's device_info(); keys it has override the defaults, which are
// null for gpu/driver/cuda/clocks) plus what the host says.
nlohmann::json capture_environment(const nlohmann::json& device_info);

// {"schema", "environment", "scenario", "runs"}.
nlohmann::json make_results(const nlohmann::json& environment, const nlohmann::json& scenario,
                            const std::vector<nlohmann::json>& runs);

// Writes `doc` to `path` through a temporary file in the same folder and a rename, so a reader
// never sees half a file; creates the folder. Throws std::runtime_error naming the path on failure.
void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& doc);

// Reads a results file; throws InputError naming the file when it is not JSON or has another
// major schema version.
nlohmann::json read_results(const std::filesystem::path& path);

}  // namespace rooflm
