// --set overrides: parsing "path=value", and applying them to the sweep and to each sweep point.
#include "engine/scenario/overrides.h"

#include <algorithm>
#include <filesystem>

#include "common/json_text.h"
#include "engine/scenario/json_path.h"
#include "engine/scenario/scenario_keys.h"

namespace rooflm {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr std::string_view kSweepPrefix = "sweep.";

// Paths --set may name: every key except "schema" and "sweep" itself (axes go through sweep.<path>).
std::vector<std::string> settable_paths() {
  std::vector<std::string> paths = sweepable_key_paths();
  paths.insert(paths.begin(), {"name", "description"});
  for (const std::string& path : scenario_key_paths())
    if (is_search_key_path(path)) paths.push_back(path);
  return paths;
}

// The text of an override for messages, shortened when it is long.
std::string quoted_override(std::string_view text) {
  constexpr size_t kShown = 80;
  return "--set \"" + std::string(text.substr(0, kShown)) + (text.size() > kShown ? "...\"" : "\"");
}

}  // namespace

Override parse_override(std::string_view text, const ScenarioContext& ctx) {
  const std::string named = quoted_override(text);
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0)
    ctx.fail(named + ": expected path=value, e.g. --set engine.kernels=naive");
  Override result;
  result.text = std::string(text);
  result.path = std::string(text.substr(0, equals));
  const std::string value_text(text.substr(equals + 1));
  // A JSON value, or else the text as a string (--set engine.kernels=naive); within the limits
  // of every JSON input (nesting, numbers beyond a double).
  try {
    result.value = parse_ordered_json_text(value_text, named);
  } catch (const JsonTextError& error) {
    if (error.kind() != JsonTextError::Kind::syntax) ctx.fail(error.what());
    result.value = value_text;
  }

  if (result.path.starts_with(kSweepPrefix)) {
    result.sweep_axis = true;
    result.path = result.path.substr(kSweepPrefix.size());
    if (!is_sweepable_key_path(result.path))
      ctx.fail(named + ": unknown sweep path \"" + result.path + "\"" +
               unknown_key_hint(result.path, sweepable_key_paths()));
    return result;
  }
  const std::vector<std::string> settable = settable_paths();
  if (std::find(settable.begin(), settable.end(), result.path) == settable.end())
    ctx.fail(named + ": unknown key \"" + result.path + "\"" + unknown_key_hint(result.path, settable));
  const bool model_path = result.path == "model.config" || result.path == "model.weights";
  if (model_path && result.value.is_string() && result.value != "synthetic" &&
      std::filesystem::path(result.value.get<std::string>()).is_relative())
    result.value = std::filesystem::absolute(result.value.get<std::string>()).lexically_normal().string();
  return result;
}

void apply_overrides_to_sweep(ordered_json& doc, const std::vector<Override>& overrides) {
  for (const Override& o : overrides) {
    if (o.sweep_axis) {
      if (!doc.contains("sweep") || !doc["sweep"].is_object()) doc["sweep"] = ordered_json::object();
      doc["sweep"][o.path] = o.value;
      continue;
    }
    if (!doc.contains("sweep") || !doc["sweep"].is_object()) continue;
    ordered_json& sweep = doc["sweep"];
    for (auto axis = sweep.begin(); axis != sweep.end();) {
      if (path_is_within(axis.key(), o.path)) axis = sweep.erase(axis);
      else ++axis;
    }
  }
}

void apply_value_overrides(ordered_json& doc, const std::vector<Override>& overrides, ScenarioContext& ctx) {
  for (const Override& o : overrides) {
    if (o.sweep_axis) continue;
    const std::string name = "--set " + o.text;
    if (const auto blocker = set_at_path(doc, o.path, o.value))
      ctx.fail("cannot apply " + name + ": " + ctx.where(*blocker) + " is not an object");
    ctx.sources.push_back(ValueSource{o.path, name});
  }
}

}  // namespace rooflm
