// The headline of a results file: variants against a baseline (see report_headline.h).
#include "engine/report/report_headline.h"

#include <cmath>
#include <vector>

#include "common/error.h"
#include "engine/report/headline_metrics.h"
#include "engine/results/compare.h"
#include "engine/results/json_number.h"

namespace rooflm {

namespace {

// The index of a capacity entry's run at its capacity (the probe of that variant at that value), or
// the number of runs when there is none.
size_t run_at_capacity(const nlohmann::json& doc, const nlohmann::json& entry) {
  const auto& runs = doc.at("runs");
  if (!entry.contains("value") || !entry["value"].is_number()) return runs.size();
  for (size_t i = 0; i < runs.size(); ++i) {
    const nlohmann::json probe = runs[i].value("probe", nlohmann::json::object());
    if (probe.value("variant", "") == entry.value("variant", "") && probe.contains("value") &&
        probe["value"] == entry["value"])
      return i;
  }
  return runs.size();
}

size_t baseline_index(const std::vector<HeadlineRow>& rows, const std::string& label, const std::string& file_name) {
  if (label.empty()) return 0;
  std::string known;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].label == label) return i;
    known += (known.empty() ? "\"" : ", \"") + rows[i].label + "\"";
  }
  throw InputError("--baseline \"" + label + "\": " + file_name + " has no variant of that label (its variants: " + known + ")");
}

}  // namespace

std::vector<HeadlineRow> headline_rows(const nlohmann::json& doc) {
  std::vector<HeadlineRow> rows;
  const auto& runs = doc.at("runs");
  const auto capacity = doc.find("capacity");  // rows point into doc: never into a copy
  if (capacity != doc.end() && capacity->is_array() && !capacity->empty()) {
    for (const auto& entry : *capacity) {
      const size_t at = run_at_capacity(doc, entry);
      rows.push_back({entry.value("variant", ""), at < runs.size() ? run_label(runs[at], at) : "",
                      at < runs.size() ? &runs[at] : nullptr, &entry});
    }
    return rows;
  }
  for (size_t i = 0; i < runs.size(); ++i) rows.push_back({run_label(runs[i], i), run_label(runs[i], i), &runs[i], nullptr});
  return rows;
}

nlohmann::json capacity_against(const nlohmann::json& entry, const nlohmann::json& base) {
  const nlohmann::json& v = entry.at("value");
  const nlohmann::json& b = base.at("value");
  double ratio = NAN;
  if (v.is_number() && b.is_number() && b.get<double>() > 0) ratio = v.get<double>() / b.get<double>();
  const std::string path = entry.value("path", "");
  return {{"key", "capacity"},
          {"title", "capacity (" + path.substr(path.rfind('.') + 1) + ")"},
          {"unit", path == "workload.arrival.rate" ? "req/s" : "requests in flight"},
          {"value", v},
          {"base", b},
          {"ratio", number_or_null(ratio)},
          {"delta_pct", number_or_null((ratio - 1) * 100)},
          {"verdict", !std::isfinite(ratio) || ratio == 1 ? "same" : ratio > 1 ? "better" : "worse"},
          {"status", entry.value("status", "")},
          {"bound_by", entry.value("bound_by", nlohmann::json::array())}};
}

nlohmann::json report_headline(const nlohmann::json& doc, const std::string& baseline_label, const std::string& file_name) {
  const std::vector<HeadlineRow> rows = headline_rows(doc);
  const size_t base = baseline_index(rows, baseline_label, file_name);
  const HeadlineRow& b = rows[base];
  nlohmann::json out_rows = nlohmann::json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    const HeadlineRow& r = rows[i];
    nlohmann::json metrics = nlohmann::json::array();
    if (r.run)
      for (const auto& m : headline_metrics())
        metrics.push_back(b.run && i != base ? metric_against(m, *r.run, *b.run) : metric_value(m, *r.run));
    nlohmann::json row = {{"label", r.label},
                          {"run", r.run ? nlohmann::json(r.run_name) : nlohmann::json(nullptr)},
                          {"baseline", i == base},
                          {"metrics", metrics}};
    if (r.capacity) row["capacity"] = capacity_against(*r.capacity, *b.capacity);
    out_rows.push_back(row);
  }
  const bool search = rows.front().capacity != nullptr;
  return {{"baseline", b.label},
          {"search", search ? nlohmann::json(rows.front().capacity->value("path", "")) : nlohmann::json(nullptr)},
          {"rows", out_rows}};
}

}  // namespace rooflm
