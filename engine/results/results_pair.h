// Whether two results files measured the same thing: the same scenario (name, workload, model),
// the same GPU, and per variant present in both the same model configuration and GPU spec.
// `rooflm compare` refuses a pair that differs (exit 2) unless --force; `rooflm gate` refuses it
// always (gate_validity_problems adds clocks, invalid runs, missing variants, ...).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

// One line per difference, e.g. "scenario name differs: baseline \"a\", candidate \"b\"".
std::vector<std::string> results_pair_mismatches(const nlohmann::json& baseline, const nlohmann::json& candidate);

// doc at `path` (object keys), or null where the path does not exist.
const nlohmann::json& json_at_or_null(const nlohmann::json& doc, const std::vector<const char*>& path);

}  // namespace rooflm
