// The capacity part of `rooflm gate` (see gate_capacity.h).
#include "engine/results/gate_capacity.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace rooflm {

namespace {

// The settings two searches must share to be compared.
constexpr const char* kSearchKeys[] = {"path", "lo", "hi", "tolerance", "slo", "goodput_fraction", "limits"};

std::map<std::string, const nlohmann::json*> by_variant(const nlohmann::json& doc) {
  std::map<std::string, const nlohmann::json*> out;
  if (!has_capacity(doc)) return out;
  for (const auto& entry : doc.at("capacity"))
    if (entry.is_object() && entry.contains("variant") && entry.at("variant").is_string())
      out[entry.at("variant").get<std::string>()] = &entry;
  return out;
}

double capacity_value(const nlohmann::json& entry) {
  const auto& v = entry.value("value", nlohmann::json(nullptr));
  return v.is_number() ? v.get<double>() : 0;
}

}  // namespace

nlohmann::json CapacityRow::to_json() const {
  return {{"variant", variant},
          {"baseline", baseline},
          {"candidate", candidate},
          {"baseline_status", baseline_status},
          {"candidate_status", candidate_status},
          {"change_pct", std::isfinite(change_pct) ? nlohmann::json(change_pct) : nlohmann::json(nullptr)},
          {"threshold_pct", threshold_pct},
          {"status", regressed ? "regression" : "pass"}};
}

bool has_capacity(const nlohmann::json& doc) {
  return doc.is_object() && doc.contains("capacity") && doc.at("capacity").is_array() && !doc.at("capacity").empty();
}

void capacity_pair_problems(const nlohmann::json& baseline, const nlohmann::json& candidate,
                            std::vector<std::string>& problems) {
  if (has_capacity(baseline) != has_capacity(candidate)) {
    problems.push_back(std::string(has_capacity(baseline) ? "the baseline" : "the candidate") +
                       " ran a capacity search (capacity) and the other did not");
    return;
  }
  const auto cand = by_variant(candidate);
  for (const auto& [label, base] : by_variant(baseline)) {
    const auto it = cand.find(label);
    if (it == cand.end()) {
      problems.push_back("capacity of variant \"" + label + "\" of the baseline is missing from the candidate");
      continue;
    }
    for (const char* key : kSearchKeys) {
      const auto& a = base->value(key, nlohmann::json(nullptr));
      const auto& b = it->second->value(key, nlohmann::json(nullptr));
      if (a != b)
        problems.push_back("capacity of variant \"" + label + "\": search " + key + " differs: baseline " + a.dump() +
                           ", candidate " + b.dump());
    }
  }
}

std::vector<CapacityRow> compare_capacity(const nlohmann::json& baseline, const nlohmann::json& candidate,
                                          double max_regression_pct) {
  std::vector<CapacityRow> rows;
  const auto cand = by_variant(candidate);
  for (const auto& [label, base] : by_variant(baseline)) {
    const auto it = cand.find(label);
    if (it == cand.end()) continue;  // a validity problem already
    CapacityRow row;
    row.variant = label;
    row.baseline = capacity_value(*base);
    row.candidate = capacity_value(*it->second);
    row.baseline_status = base->value("status", "");
    row.candidate_status = it->second->value("status", "");
    row.change_pct = row.baseline > 0 ? 100 * (row.candidate - row.baseline) / row.baseline
                     : row.candidate > 0 ? INFINITY : 0;
    const double tolerance = std::max(base->value("tolerance", 0.0), it->second->value("tolerance", 0.0));
    row.threshold_pct = std::max(max_regression_pct, 100 * tolerance);
    row.regressed = row.change_pct < -row.threshold_pct;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace rooflm
