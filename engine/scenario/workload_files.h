// Workload data files (JSONL, one JSON object per line; blank lines skipped): arrival traces and
// length datasets. Errors throw InputError naming the file, the line and the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/scenario/scenario.h"

namespace rooflm {

// The text of a JSONL workload file (the scenario reader reads it once, for these and its digest);
// `origin` names the file in errors.

// Lines {"arrival": seconds in [0, 86400], "prompt_len": int >= 1, "output_len": int >= 1}, arrivals
// non-decreasing; at least one line.
std::vector<TraceEntry> parse_arrival_trace(const std::string& text, const std::string& origin);

// Mooncake / vLLM trace lines {"timestamp": ms >= 0, non-decreasing, "input_length": int >= 1,
// "output_length": int >= 1, "hash_ids": [int >= 0, ...]} (other fields ignored); arrivals in seconds
// after the first line's timestamp, at most a day. Each hash id names block_size prompt tokens, the
// last block possibly partial: an id beyond input_length is an error (tokens beyond the ids are the
// line's own). At least one line.
std::vector<TraceEntry> parse_mooncake_trace(const std::string& text, const std::string& origin, int64_t block_size);

// The integer `field` (>= 1) of every line; at least one line.
std::vector<int64_t> parse_length_dataset(const std::string& text, const std::string& origin, const std::string& field);

}  // namespace rooflm
