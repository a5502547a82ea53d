// The `search` section: strict reading (read_search), the sweep check and probe scenarios.
#include "engine/scenario/search.h"

#include <algorithm>
#include <cmath>

#include "engine/scenario/json_path.h"
#include "engine/scenario/overrides.h"
#include "engine/scenario/scenario_limits.h"
#include "engine/scenario/scenario_read.h"

namespace rooflm {

namespace {

std::string number_json(double x) { return nlohmann::json(x).dump(); }

// The arrival processes that have the knob `path` names.
void check_process(const FieldReader& search, SearchPath path, ArrivalSpec::Process process, bool ramped) {
  using P = ArrivalSpec::Process;
  const bool rate = process == P::poisson || process == P::constant || process == P::gamma;
  const bool ok = path == SearchPath::arrival_rate ? rate : process == P::closed_loop;
  const ScenarioContext& ctx = search.context();
  if (ok && path == SearchPath::arrival_rate && ramped)
    ctx.fail(ctx.where(search.key_path("path")) + " = \"workload.arrival.rate\" has no rate to vary: workload.arrival.ramp "
             "sets the rates (search a scenario with a fixed rate)");
  if (ok) return;
  ctx.fail(ctx.where(search.key_path("path")) + " = \"" + std::string(name(path)) + "\" needs workload.arrival.process " +
           (path == SearchPath::arrival_rate ? "poisson, constant or gamma" : "closed_loop") +
           ": the arrival process of this scenario has no such knob");
}

}  // namespace

SearchSpec read_search(const FieldReader& search, const Scenario& scenario) {
  const ScenarioContext& ctx = search.context();
  SearchSpec spec;
  for (const char* key : {"path", "lo", "hi"})
    if (!search.has(key)) search.fail_missing(key);
  spec.path = search.enum_choice("path", kSearchPathNames, {SearchPath::arrival_rate, SearchPath::concurrency},
                                 SearchPath::arrival_rate);
  check_process(search, spec.path, scenario.workload.arrival.process, scenario.workload.arrival.ramp.has_value());
  if (spec.integer()) {
    spec.lo = double(search.integer("lo", 1, 1, kMaxRequests));
    spec.hi = double(search.integer("hi", 1, 1, kMaxRequests));
  } else {
    spec.lo = search.number("lo", 0, greater_than(0));
    spec.hi = search.number("hi", 0, greater_than(0));
  }
  if (!(spec.hi > spec.lo))
    ctx.fail(ctx.where(search.key_path("hi")) + " = " + number_json(spec.hi) + " must be greater than search.lo = " +
             number_json(spec.lo));
  spec.percentile = search.enum_choice("slo", kSloPercentileNames,
                                       {SloPercentile::p50, SloPercentile::p90, SloPercentile::p95, SloPercentile::p99,
                                        SloPercentile::max},
                                       SloPercentile::p99);
  const std::optional<double> judged = slo_percentile_value(spec.percentile);
  const std::vector<double>& reported = scenario.measure.percentiles;
  if (judged && std::find(reported.begin(), reported.end(), *judged) == reported.end())
    ctx.fail(ctx.where(search.key_path("slo")) + " = \"" + std::string(name(spec.percentile)) +
             "\" is not one of measure.percentiles " + nlohmann::json(reported).dump() + ": add " +
             number_json(*judged) + " to measure.percentiles");
  spec.tolerance = search.number("tolerance", spec.tolerance, NumberRange{0, true, 1, true});
  spec.goodput_fraction = search.number("goodput_fraction", spec.goodput_fraction, open_closed(0, 1));
  if (!scenario.slo.any())
    ctx.fail(ctx.where("search") + " needs an SLO to hold: set slo.ttft_ms, slo.tpot_ms or slo.e2e_ms");
  return spec;
}

void check_search_not_swept(const SearchSpec& search, const std::vector<std::string>& sweep_paths,
                            const ScenarioContext& ctx) {
  const std::string path(name(search.path));
  for (const std::string& axis : sweep_paths)
    if (path_is_within(path, axis))
      ctx.fail("sweep[\"" + axis + "\"] sets search.path \"" + path +
               "\": the search varies it; sweep another key or drop the search");
}

nlohmann::ordered_json search_value_json(const SearchSpec& search, double value) {
  if (search.integer()) return int64_t(std::llround(value));
  return value;
}

Scenario probe_scenario(const Scenario& point, double value, const std::string& value_name) {
  const SearchSpec& search = *point.search;
  const std::string path(name(search.path));
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(point.resolved.dump());
  const nlohmann::ordered_json written = search_value_json(search, value);
  set_at_path(doc, path, written);
  ScenarioContext ctx;
  ctx.origin = point.source.string();
  ctx.base_dir = point.source.parent_path();
  ctx.sources.push_back(ValueSource{path, value_name + " " + written.dump()});
  Scenario probe = read_scenario(doc, ctx);
  probe.source = point.source;
  probe.resolved = resolved_scenario_json(probe);
  probe.sweep_point = point.sweep_point;
  probe.sweep_point[path] = nlohmann::json(written);
  return probe;
}

}  // namespace rooflm
