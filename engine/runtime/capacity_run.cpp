// run_capacity_search: one variant's probes and its capacity entry (see capacity_run.h).
#include "engine/runtime/capacity_run.h"

#include <map>

#include "common/error.h"
#include "engine/metrics/slo_verdict.h"
#include "engine/runtime/capacity_bracket.h"
#include "engine/runtime/interrupt.h"
#include "engine/scenario/search.h"

namespace rooflm {

namespace {

nlohmann::json value_or_null(const SearchSpec& search, const std::optional<double>& value) {
  return value ? nlohmann::json(search_value_json(search, *value)) : nlohmann::json(nullptr);
}

nlohmann::json slo_limits(const SloSpec& slo) {
  nlohmann::json limits = nlohmann::json::object();
  if (slo.ttft_ms) limits["ttft_ms"] = *slo.ttft_ms;
  if (slo.tpot_ms) limits["tpot_ms"] = *slo.tpot_ms;
  if (slo.e2e_ms) limits["e2e_ms"] = *slo.e2e_ms;
  return limits;
}

// A search keeps every probe: with measure.record_steps false they carry no per-step series at all
// (the KV timeline and the captured step list grow with the steps of each probe).
void drop_step_series(nlohmann::json& run) {
  run["summary"]["kv"].erase("over_time");
  run["capture_window"]["steps"] = nlohmann::json::array();
}

}  // namespace

CapacityResult run_capacity_search(const Scenario& point, const BackendOptions& options,
                                   const std::function<void(const CapacityProgress&)>& on_progress) {
  ROOFLM_CHECK(point.search.has_value(), "run_capacity_search needs a scenario with a search");
  const SearchSpec& search = *point.search;
  const std::string path(name(search.path));
  CapacityResult out;
  out.label = variant_label(point.sweep_point);
  std::map<double, SloVerdict> verdicts;

  const BracketSpec bracket{.lo = search.lo, .hi = search.hi, .tolerance = search.tolerance,
                            .integer = search.integer()};
  const BracketResult found = bracket_and_bisect(bracket, [&](double value) {
    throw_if_interrupted();
    const Scenario probe = probe_scenario(point, value);
    const size_t index = out.probes.size();
    VariantResult r = run_variant(probe, options, [&](const VariantProgress& p) {
      if (on_progress) on_progress({out.label, index, value, p});
    });
    const SloVerdict verdict = judge_slo(r.summary, point.slo, search.percentile, search.goodput_fraction);
    nlohmann::json probe_json = verdict.to_json();
    probe_json["variant"] = out.label;
    probe_json["path"] = path;
    probe_json["value"] = search_value_json(search, value);
    probe_json["index"] = int64_t(index);
    r.run["probe"] = probe_json;
    if (!probe.measure.record_steps) drop_step_series(r.run);
    r.run["scenario"] = probe.resolved;
    out.probes.push_back(std::move(r));
    verdicts[value] = verdict;
    return verdict.pass;
  });

  // What bounds the capacity: the checks that failed at the bracket's failing end (at lo when lo
  // failed); none when hi passed (the capacity is at least hi).
  const char* status = !found.pass ? "below_lo" : !found.fail ? "at_hi" : "found";
  nlohmann::json bound_by = nlohmann::json::array(), why = nlohmann::json::array();
  if (found.fail) {
    const SloVerdict& at_fail = verdicts.at(*found.fail);
    bound_by = at_fail.failed();
    why = at_fail.to_json()["why"];
  } else {
    bound_by.push_back("search.hi");
  }
  nlohmann::json probe_labels = nlohmann::json::array();
  for (const auto& p : out.probes) probe_labels.push_back(p.label);
  out.capacity = {{"variant", out.label},
                  {"sweep", point.sweep_point},
                  {"path", path},
                  {"value", value_or_null(search, found.pass)},
                  {"status", status},
                  {"bracket", {{"pass", value_or_null(search, found.pass)}, {"fail", value_or_null(search, found.fail)}}},
                  {"probes", int64_t(out.probes.size())},
                  {"probe_runs", probe_labels},
                  {"lo", search_value_json(search, search.lo)},
                  {"hi", search_value_json(search, search.hi)},
                  {"tolerance", search.tolerance},
                  {"slo", name(search.percentile)},
                  {"goodput_fraction", search.goodput_fraction},
                  {"limits", slo_limits(point.slo)},
                  {"bound_by", bound_by},
                  {"why", why}};
  return out;
}

}  // namespace rooflm
