// The headline of a results file, the first thing its report shows: per variant the key metrics
// (headline_metrics.h) beside their roofline limits, each against a baseline variant (the first
// one, or `rooflm report --baseline LABEL`) with its delta and significance. A capacity search
// (results "capacity") heads each variant with its capacity and the metrics of its run at that
// capacity (the last passing probe).
//   {"baseline": label, "search": path or null, "rows": [{"label", "run", "baseline": bool,
//     "capacity": {metric_against fields, "status", "bound_by"} (capacity files only), "metrics": [...]}]}
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

// A variant of the headline: a run (run_name its label), or a capacity entry and its run at capacity.
struct HeadlineRow {
  std::string label;
  std::string run_name;                      // "" when there is no run (no probe passed)
  const nlohmann::json* run = nullptr;       // the run its metrics come from (nullptr: none)
  const nlohmann::json* capacity = nullptr;  // its capacity entry (capacity files only)
};

// The variants of `doc` in order: its capacity entries when it has any, else its runs.
std::vector<HeadlineRow> headline_rows(const nlohmann::json& doc);

// A capacity entry against a base entry: the metric_against fields plus "status" and "bound_by".
nlohmann::json capacity_against(const nlohmann::json& entry, const nlohmann::json& base);

// `baseline_label` empty: the first variant. Throws InputError naming `file_name` and the labels
// it holds when no variant (nor capacity entry) has that label.
nlohmann::json report_headline(const nlohmann::json& doc, const std::string& baseline_label, const std::string& file_name);

}  // namespace rooflm
