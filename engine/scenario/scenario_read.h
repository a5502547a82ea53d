// The steps of loading a scenario that work on its JSON document: checking the schema line,
// reading one (sweep-free) document strictly into a Scenario, and writing a Scenario back as its
// complete resolved JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/scenario/scenario.h"
#include "engine/scenario/scenario_context.h"

namespace rooflm {

// Fails unless `doc` is an object whose "schema" is exactly "rooflm.scenario/1".
void check_scenario_schema(const nlohmann::ordered_json& doc, const ScenarioContext& ctx);

// Reads every section of `doc` (its "sweep", if any, is ignored) with every default filled in.
// Relative model paths resolve against ctx.base_dir and must exist. `source`, `resolved` and
// `sweep_point` are left for the caller.
Scenario read_scenario(const nlohmann::ordered_json& doc, const ScenarioContext& ctx);

// The complete scenario as JSON (every default written out, no sweep): a valid scenario document
// itself, and the "scenario" entry of results.json.
nlohmann::json resolved_scenario_json(const Scenario& scenario);

}  // namespace rooflm
