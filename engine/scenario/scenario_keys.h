// The closed key set of `rooflm.scenario/1`: every valid dotted key path, the paths a sweep or
// `--set` may name, and "did you mean" suggestions for misspelt keys and values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rooflm {

inline constexpr std::string_view kScenarioSchema = "rooflm.scenario/1";

// Every key the format defines, as dotted paths from the top level: "engine", "engine.kv_cache",
// "engine.kv_cache.layout", ... (sweep entries are paths themselves and are not listed).
const std::vector<std::string>& scenario_key_paths();
bool is_scenario_key_path(std::string_view path);

// The keys valid directly inside the object at `parent` ("" for the top level), in format order.
std::vector<std::string> scenario_child_keys(std::string_view parent);

// "search" and the keys inside it: set with --set, never swept (the search varies its own path).
bool is_search_key_path(std::string_view path);

// Paths a sweep may vary: every key path except schema, name, description, sweep and search.
const std::vector<std::string>& sweepable_key_paths();
bool is_sweepable_key_path(std::string_view path);

// Levenshtein distance between two strings.

// The candidate nearest to `word` when it is close enough to be a likely typo.
std::optional<std::string> nearest_word(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean "x"?)" when a candidate is close, else " (valid keys: a, b, c)".
std::string unknown_key_hint(std::string_view key, const std::vector<std::string>& candidates);

}  // namespace rooflm
