// ScenarioContext: error locations for scenario messages.
#include "engine/scenario/scenario_context.h"

#include "common/error.h"
#include "engine/scenario/json_path.h"

namespace rooflm {

std::string ScenarioContext::where(std::string_view path) const {
  std::string text;
  text.append("\"").append(path).append("\"");
  for (auto source = sources.rbegin(); source != sources.rend(); ++source) {
    if (path_is_within(path, source->path)) return text + " (from " + source->name + ")";
  }
  return text;
}

void ScenarioContext::fail(const std::string& message) const { throw InputError(origin + ": " + message); }

std::string child_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

}  // namespace rooflm
