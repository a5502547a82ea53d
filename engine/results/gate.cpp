// Gate decision: validity first, then per-metric threshold + significance (see gate.h).
#include "engine/results/gate.h"

#include <algorithm>
#include <cmath>
#include <sstream>


namespace rooflm {

namespace {

const char* status_name(GateStatus s) {
  switch (s) {
    case GateStatus::pass: return "pass";
    case GateStatus::regression: return "regression";
    case GateStatus::observed: return "observed";
    case GateStatus::not_applicable: return "not applicable";
  }
  return "?";
}

// Percent by which the candidate is worse than the baseline (0 when better or equal).
double regression_pct(const MetricComparison& c) {
  if (!std::isfinite(c.delta_pct)) return 0;
  const double worse = c.direction == MetricDirection::lower_is_better ? c.delta_pct : -c.delta_pct;
  return worse > 0 ? worse : 0;
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(decimals);
  os << v;
  return os.str();
}

std::string p_text(double p) {
  if (!std::isfinite(p)) return "-";
  if (p < 1e-4) return "<0.0001";
  return fixed(p, 4);
}

// Compares the policy's counters of every variant present in both documents.
void gate_counters(const nlohmann::json& baseline, const nlohmann::json& candidate, const GatePolicy& policy,
                   GateReport& report) {
  if (policy.counters.empty()) return;
  const auto cand_runs = runs_by_label(candidate);
  for (const auto& [label, base] : runs_by_label(baseline)) {
    const auto cand = cand_runs.find(label);
    if (cand == cand_runs.end()) continue;  // a validity problem already
    for (const auto& p : policy.counters) {
      CounterRow row;
      row.change = compare_counter(label, p.counter, *base, *cand->second);
      row.max_change_pct = p.max_change_pct;
      if (!row.change.recorded())
        report.invalid_reasons.push_back("variant \"" + label + "\" counter " + p.counter + ": not recorded by the " +
                                         (std::isnan(row.change.baseline) ? "baseline" : "candidate") +
                                         " (written before rooflm.result/1.1?)");
      else
        row.changed = std::fabs(row.change.change_pct) > p.max_change_pct;
      report.counters.push_back(row);
    }
  }
}

}  // namespace

nlohmann::json CounterRow::to_json() const {
  nlohmann::json row = change.to_json();  // change_pct null: not recorded, or from 0 to non-zero
  row["max_change_pct"] = max_change_pct;
  row["status"] = changed ? "changed" : "pass";
  return row;
}

bool GateReport::regressed() const {
  for (const auto& r : rows)
    if (r.status == GateStatus::regression) return true;
  for (const auto& c : counters)
    if (c.changed) return true;
  for (const auto& c : capacity)
    if (c.regressed) return true;
  return false;
}

int GateReport::exit_code() const { return invalid() ? 2 : regressed() ? 1 : 0; }

std::string GateReport::verdict() const { return invalid() ? "INVALID" : regressed() ? "REGRESSION" : "PASS"; }

nlohmann::json GateReport::to_json() const {
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json row = r.comparison.to_json();
    row["status"] = status_name(r.status);
    row["max_regression_pct"] = r.policy.max_regression_pct;
    row["min_samples"] = r.policy.min_samples;
    row["observe_only"] = r.policy.observe_only;
    metrics.push_back(row);
  }
  nlohmann::json counter_rows = nlohmann::json::array(), capacity_rows = nlohmann::json::array();
  for (const auto& c : counters) counter_rows.push_back(c.to_json());
  for (const auto& c : capacity) capacity_rows.push_back(c.to_json());
  return {{"verdict", verdict()},     {"exit_code", exit_code()},
          {"invalid_reasons", invalid_reasons}, {"significance_level", significance_level},
          {"metrics", metrics},       {"counters", counter_rows},
          {"capacity", capacity_rows},
          {"notes", notes}};
}

GateReport run_gate(const nlohmann::json& baseline, const nlohmann::json& candidate, const GatePolicy& policy) {
  GateReport report;
  report.significance_level = policy.significance_level;
  report.invalid_reasons = gate_validity_problems(baseline, candidate);
  if (has_capacity(baseline) || has_capacity(candidate)) {
    report.capacity = compare_capacity(baseline, candidate, policy.capacity_max_regression_pct);
    return report;
  }

  gate_counters(baseline, candidate, policy, report);
  std::vector<std::string> names;
  for (const auto& m : policy.metrics) names.push_back(m.metric);
  if (names.empty()) {
    if (policy.counters.empty()) report.invalid_reasons.push_back("the gate policy has no metrics and no counters");
    return report;
  }
  ResultsComparison comparison = compare_results(baseline, candidate, policy.significance_level, names);
  for (const auto& u : comparison.unpaired)
    if (u.rfind("candidate only", 0) == 0) report.notes.push_back(u + " (not judged)");

  for (auto& c : comparison.metrics) {
    GateRow row;
    row.policy = *std::find_if(policy.metrics.begin(), policy.metrics.end(),
                               [&](const MetricPolicy& m) { return m.metric == c.metric; });
    c.direction = row.policy.direction;
    row.comparison = c;
    if (c.baseline_count == 0 && c.candidate_count == 0) {
      row.status = GateStatus::not_applicable;
    } else if (row.policy.observe_only) {
      row.status = GateStatus::observed;
    } else if (c.baseline_count < row.policy.min_samples || c.candidate_count < row.policy.min_samples) {
      report.invalid_reasons.push_back("variant \"" + c.variant + "\" metric " + c.metric + ": " +
                                       std::to_string(c.baseline_count) + " baseline / " +
                                       std::to_string(c.candidate_count) + " candidate samples, policy needs " +
                                       std::to_string(row.policy.min_samples) + " on each side");
    } else if (c.significant && regression_pct(c) > row.policy.max_regression_pct) {
      row.status = GateStatus::regression;
    }
    report.rows.push_back(row);
  }
  return report;
}

std::string gate_markdown(const GateReport& report, const std::string& baseline_name,
                          const std::string& candidate_name) {
  std::ostringstream md;
  md << "## rooflm gate: " << report.verdict() << "\n\n";
  md << "Baseline `" << baseline_name << "`, candidate `" << candidate_name
     << "`. A metric regresses when it is worse by more than its threshold and the Mann-Whitney U "
        "test finds the change significant (p < "
     << report.significance_level << ").";
  if (!report.capacity.empty())
    md << " Capacity (a search's highest load within the SLO) is higher-is-better: a drop beyond the allowed"
          " percentage (never below the search's tolerance) regresses.";
  md << "\n\n";
  if (report.invalid()) {
    md << "The gate refuses to judge this pair:\n\n";
    for (const auto& reason : report.invalid_reasons) md << "- " << reason << "\n";
    md << "\n";
  }
  if (!report.rows.empty()) {
    md << "| variant | metric | baseline median | candidate median | delta | p | threshold | status |\n";
    md << "|---|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& r : report.rows) {
      const auto& c = r.comparison;
      std::string status = status_name(r.status);
      if (r.status == GateStatus::regression) status = "**REGRESSION**";
      md << "| " << c.variant << " | " << c.metric << " | " << fixed(c.baseline_median, 3) << " | "
         << fixed(c.candidate_median, 3) << " | " << (c.delta_pct > 0 ? "+" : "") << fixed(c.delta_pct, 2)
         << "% (" << c.verdict() << ") | " << p_text(c.p_value) << " | "
         << (r.policy.observe_only ? "-" : fixed(r.policy.max_regression_pct, 1) + "%") << " | " << status << " |\n";
    }
  }
  if (!report.counters.empty()) {
    md << "\n| variant | counter | baseline | candidate | change | allowed | status |\n";
    md << "|---|---|---:|---:|---:|---:|---|\n";
    for (const auto& r : report.counters) {
      const CounterChange& c = r.change;
      md << "| " << c.variant << " | " << c.counter << " | " << fixed(c.baseline, 0) << " | " << fixed(c.candidate, 0)
         << " | " << (c.change_pct > 0 ? "+" : "") << fixed(c.change_pct, 2) << "% | " << fixed(r.max_change_pct, 1)
         << "% | " << (r.changed ? "**CHANGED**" : "pass") << " |\n";
    }
  }
  if (!report.capacity.empty()) {
    md << "\n| variant | capacity baseline | candidate | change | allowed drop | status |\n";
    md << "|---|---:|---:|---:|---:|---|\n";
    for (const auto& r : report.capacity) {
      auto shown = [](double v, const std::string& status) {
        return status == "below_lo" ? std::string("below lo") : (status == "at_hi" ? ">= " : "") + fixed(v, 3);
      };
      md << "| " << r.variant << " | " << shown(r.baseline, r.baseline_status) << " | "
         << shown(r.candidate, r.candidate_status) << " | " << (r.change_pct > 0 ? "+" : "") << fixed(r.change_pct, 2)
         << "% | " << fixed(r.threshold_pct, 1) << "% | " << (r.regressed ? "**REGRESSION**" : "pass") << " |\n";
    }
  }
  for (const auto& note : report.notes) md << "\nNote: " << note << "\n";
  return md.str();
}

}  // namespace rooflm
