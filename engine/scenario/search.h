// The scenario's `search` section (SearchSpec in scenario.h): reading and checking it, and the
// scenario of one probe of a capacity search (the variant with the searched path set to a value).
#pragma once

#include <nlohmann/json.hpp>

#include "engine/scenario/field_reader.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

// Reads `search` of a scenario whose workload and slo are already read. Fails naming the field and
// its limit: an unknown path, a path the arrival process has no knob for, lo <= 0, hi <= lo,
// a tolerance outside (0, 1), a goodput fraction outside (0, 1], no SLO to hold.
SearchSpec read_search(const FieldReader& search, const Scenario& scenario);

// Fails when a sweep axis sets the search's path or one of its parents ("workload.arrival").
void check_search_not_swept(const SearchSpec& search, const std::vector<std::string>& sweep_paths,
                            const ScenarioContext& ctx);

// The value written into the scenario at the searched path: an integer for concurrency.
nlohmann::ordered_json search_value_json(const SearchSpec& search, double value);

// `point` (one resolved variant) with the searched path set to `value`, read again strictly (so
// a value no scenario may hold fails, naming `value_name`, e.g. "search.lo"); its sweep_point
// gains the path (its label then ends in "rate=4").
Scenario probe_scenario(const Scenario& point, double value, const std::string& value_name = "search");

}  // namespace rooflm
