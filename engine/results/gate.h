// Regression gate (`rooflm gate --baseline A.json --candidate B.json [--policy gate.json]`).
// A metric regresses only when it moved the worse way by more than its policy's threshold AND the
// move is significant (Mann–Whitney U). The gate refuses (invalid, exit 2) rather than pass when
// the pair cannot be compared: another scenario, GPU, model or clocks; a run marked invalid (MBU or
// MFU above 1); fewer completed requests; a baseline variant missing; too few samples on a side
// (a metric without samples on either side is not applicable, not a refusal).
// Counters the policy lists (steps, tokens, ...) are compared value against value: one that moved
// either way by more than its max_change_pct fails the gate like a regression; one missing from the
// baseline makes the gate refuse.
// Results that carry `capacity` (a capacity search) are judged by it, per variant, higher is better
// (engine/results/gate_capacity.h); their probe runs are checked for validity only.
// Exit codes: 0 pass, 1 regression (or a changed counter, or a lower capacity), 2 invalid input.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/results/compare.h"
#include "engine/results/gate_capacity.h"
#include "engine/results/gate_policy.h"
#include "engine/results/run_counters.h"

namespace rooflm {

// not_applicable: neither side has samples (e.g. TPOT of one-token outputs).
enum class GateStatus { pass, regression, observed, not_applicable };

struct GateRow {
  MetricComparison comparison;
  MetricPolicy policy;
  GateStatus status = GateStatus::pass;
};

struct CounterRow {
  CounterChange change;
  double max_change_pct = 0;
  bool changed = false;  // |change_pct| > max_change_pct
  nlohmann::json to_json() const;
};

struct GateReport {
  std::vector<std::string> invalid_reasons;  // non-empty: the gate refuses to judge
  std::vector<GateRow> rows;
  std::vector<CounterRow> counters;
  std::vector<CapacityRow> capacity;  // results with `capacity` (gate_capacity.h): judged by these alone
  std::vector<std::string> notes;  // e.g. "candidate only: x" (not judged)
  double significance_level = kDefaultSignificanceLevel;
  bool invalid() const { return !invalid_reasons.empty(); }
  bool regressed() const;
  int exit_code() const;           // 2 invalid, 1 regression, 0 pass
  std::string verdict() const;     // "INVALID", "REGRESSION" or "PASS"
  nlohmann::json to_json() const;
};

// Reasons why `baseline` and `candidate` (results documents) cannot be gated against each other.
std::vector<std::string> gate_validity_problems(const nlohmann::json& baseline, const nlohmann::json& candidate);

GateReport run_gate(const nlohmann::json& baseline, const nlohmann::json& candidate, const GatePolicy& policy);

// Markdown summary (for a PR comment / CI log): verdict, reasons, one table row per gated metric.
std::string gate_markdown(const GateReport& report, const std::string& baseline_name,
                          const std::string& candidate_name);

}  // namespace rooflm
