// Workload data files (JSONL, one JSON object per line; blank lines skipped): arrival traces and
// length datasets. Errors throw InputError naming the file, the line and the field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/scenario/scenario.h"

namespace rooflm {

// Lines {"arrival": seconds in [0, 86400], "prompt_len": int >= 1, "output_len": int >= 1}, arrivals
// non-decreasing; at least one line.
std::vector<TraceEntry> read_arrival_trace(const std::filesystem::path& file);

// The integer `field` (>= 1) of every line; at least one line.
std::vector<int64_t> read_length_dataset(const std::filesystem::path& file, const std::string& field);

// The same from the text of such a file; `origin` names it in errors.
std::vector<TraceEntry> parse_arrival_trace(const std::string& text, const std::string& origin);
std::vector<int64_t> parse_length_dataset(const std::string& text, const std::string& origin, const std::string& field);

}  // namespace rooflm
