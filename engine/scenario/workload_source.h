// What a workload read from files holds, for results.json (`scenario.workload_source`) and
// `rooflm validate`: a mooncake trace's shared-prefix fraction (engine/scenario/trace_sharing.h), a
// ShareGPT file's conversations, pairs and skipped entries.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/scenario/scenario.h"

namespace rooflm {

// A mooncake trace: {"format": "mooncake", "file", "lines", "block_size", "prompt_tokens",
// "shared_prefix_tokens", "shared_prefix_fraction"}; ShareGPT: {"format": "sharegpt", "file",
// "tokenizer", "conversations", "pairs", "skipped"}; any other workload: null.
nlohmann::json workload_source_json(const WorkloadSpec& workload);

// One line for people ("mooncake trace t.jsonl: 32 lines, shared-prefix fraction 0.625 ..."); empty
// when workload_source_json is null.
std::string workload_source_line(const WorkloadSpec& workload);

}  // namespace rooflm
