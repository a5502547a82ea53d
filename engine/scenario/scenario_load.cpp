// load_scenario / parse_scenario: text -> JSON (comments allowed) -> schema check -> overrides ->
// sweep expansion -> one strictly validated Scenario per sweep point.
#include "common/error.h"
#include "common/json_text.h"
#include "engine/scenario/json_path.h"
#include "engine/scenario/overrides.h"
#include "engine/scenario/scenario.h"
#include "engine/scenario/scenario_read.h"
#include "engine/scenario/search.h"
#include "engine/scenario/sweep.h"

namespace rooflm {

std::vector<Scenario> load_scenario(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  return parse_scenario(read_text_file(file, kMaxSmallJsonFileBytes, "scenario file"), file.string(), overrides);
}

std::vector<Scenario> parse_scenario(const std::string& text, const std::string& origin,
                                     const std::vector<std::string>& overrides) {
  ScenarioContext ctx;
  ctx.origin = origin;
  ctx.base_dir = std::filesystem::path(origin).parent_path();

  // Comments allowed; key order kept (a sweep expands in the order of its keys); duplicate keys,
  // nesting deeper than kMaxJsonDepth and numbers beyond a double are errors.
  nlohmann::ordered_json doc = parse_ordered_json_text(text, origin, {.comments = true});
  check_scenario_schema(doc, ctx);
  std::vector<Override> parsed_overrides;
  for (const std::string& o : overrides) parsed_overrides.push_back(parse_override(o, ctx));
  apply_overrides_to_sweep(doc, parsed_overrides);

  const std::vector<SweepAxis> axes = read_sweep_axes(doc, ctx);
  doc.erase("sweep");

  std::vector<Scenario> scenarios;
  for (const SweepPoint& point : sweep_points(axes, ctx)) {
    nlohmann::ordered_json point_doc = doc;
    ScenarioContext point_ctx = ctx;
    nlohmann::json sweep_point = nlohmann::json::object();
    for (size_t i = 0; i < axes.size(); ++i) {
      const nlohmann::ordered_json& value = axes[i].values[point[i]];
      const std::string name = sweep_value_name(axes[i], point[i]);
      if (const auto blocker = set_at_path(point_doc, axes[i].path, value))
        ctx.fail("cannot apply " + name + ": " + ctx.where(*blocker) + " is not an object");
      point_ctx.sources.push_back(ValueSource{axes[i].path, name});
      sweep_point[axes[i].path] = nlohmann::json(value);
    }
    apply_value_overrides(point_doc, parsed_overrides, point_ctx);

    Scenario scenario = read_scenario(point_doc, point_ctx);
    scenario.source = origin;
    scenario.resolved = resolved_scenario_json(scenario);
    scenario.sweep_point = std::move(sweep_point);
    if (scenario.search) {
      std::vector<std::string> swept;
      for (const SweepAxis& axis : axes) swept.push_back(axis.path);
      check_search_not_swept(*scenario.search, swept, point_ctx);
      // Both ends must be scenarios too (e.g. requests / lo within the longest arrival schedule).
      probe_scenario(scenario, scenario.search->lo, "search.lo");
      probe_scenario(scenario, scenario.search->hi, "search.hi");
    }
    scenarios.push_back(std::move(scenario));
  }
  return scenarios;
}

Variant requested_variant(const EngineSpec& engine, BackendKind backend) {
  Variant v;
  v.backend = backend;
  v.kernels = engine.kernels;
  v.precision = engine.precision;
  v.weight_scales = engine.weight_scales;
  v.weight_group_size = engine.weight_group_size;
  v.activation_scales = engine.activation_scales;
  v.kv_layout = engine.kv_cache.layout;
  v.kv_dtype = engine.kv_cache.dtype;
  v.launch = engine.launch;
  v.tensor_parallel = engine.tensor_parallel;
  return v;
}

}  // namespace rooflm
