// Overrides: `--set path=value` from the command line. The value is JSON when it parses as JSON
// ("8", "true", "[1,2]", "{\"dist\":\"fixed\",\"value\":4}") and a plain string otherwise
// ("naive"). `--set sweep.<path>=[...]` sets one sweep axis. Relative model.config /
// model.weights values resolve against the current directory, where the command was typed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/scenario/scenario_context.h"

namespace rooflm {

struct Override {
  std::string text;              // as typed, for messages: "engine.kernels=naive"
  std::string path;              // "engine.kernels", or the axis path when `sweep_axis`
  nlohmann::ordered_json value;
  bool sweep_axis = false;       // "sweep.<path>=[...]"
};

// Fails (naming the override) on a missing '=', an unknown or unsettable path.
Override parse_override(std::string_view text, const ScenarioContext& ctx);

// Writes the sweep-axis overrides into doc["sweep"] and drops every sweep axis that a value
// override replaces (the axis path lies at or below the override's path).
void apply_overrides_to_sweep(nlohmann::ordered_json& doc, const std::vector<Override>& overrides);

// Sets the value overrides in `doc` (a sweep point, after its sweep values) and records each in
// ctx.sources so errors name the --set that put a bad value there.
void apply_value_overrides(nlohmann::ordered_json& doc, const std::vector<Override>& overrides,
                           ScenarioContext& ctx);

}  // namespace rooflm
