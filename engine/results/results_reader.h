// The one reader of results files (`rooflm report`, `compare`, `gate`, `run --calibrate-from`).
// A file is used only after it has been checked: JSON within the limits of every JSON input
// (common/json_text.h: at most kMaxJsonDepth levels deep, every number a finite double, no key twice), "schema" of major version 1, and conforming to
// results/schema/result.schema.json (compiled into rooflm). Anything else is an InputError (exit 2)
// naming the file and the JSON path of the first problem, e.g.
//   results file 'b.json': runs[0].summary.ttft_ms: expected object, is null
// Unit tests: tests/unit/results_reader_test.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rooflm {

inline constexpr int64_t kMaxResultsFileBytes = int64_t(1) << 30;  // 1 GiB

// Parses and validates the text of a results file; `origin` names it in messages (a path, or
// e.g. "<stdin>"). Returns the document; throws InputError.
nlohmann::json parse_results_text(std::string_view text, const std::string& origin);

// Reads `path` (a regular file of at most kMaxResultsFileBytes) and parse_results_text()s it.
nlohmann::json read_results(const std::filesystem::path& path);

// For `rooflm compare`: a results file as read_results reads it, or a Google Benchmark JSON file
// (rooflm_kbench --benchmark_out) as a results document of kind "kbench" (kbench_results.h).
nlohmann::json read_comparable_results(const std::filesystem::path& path);

// results/schema/result.schema.json as this rooflm was built with it.
const nlohmann::json& result_schema();

}  // namespace rooflm
