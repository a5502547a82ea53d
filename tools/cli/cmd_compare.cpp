// `rooflm compare A.json B.json [--format table|json] [--alpha 0.05] [--metric M]...`: per variant
// and metric, the medians of A (baseline) and B (candidate), the delta, better/worse, and whether
// the change is significant (Mann–Whitney U over the raw samples: requests, steps, repetitions);
// then the counters both files record (steps, tokens, preemptions, ...) with their change.
// Both files go through the results reader (results_reader.h); two kbench files (Google Benchmark
// JSON, engine/results/kbench_results.h) compare per benchmark: kernel_us and kernel_gb_s over
// their repetitions. Files of different scenarios,
// models or GPUs (results_pair.h) are refused (exit 2) unless --force; with --force the
// differences are printed first (stderr) and listed under "mismatches" (json).
#include <iostream>

#include "common/error.h"
#include "engine/results/compare.h"
#include "engine/results/kbench_results.h"
#include "engine/results/results_pair.h"
#include "engine/results/results_reader.h"
#include "tools/cli/commands.h"
#include "tools/cli/text_table.h"

namespace rooflm {
namespace {

struct CompareArgs {
  std::string baseline, candidate, format = "table";
  double alpha = kDefaultSignificanceLevel;
  std::vector<std::string> metrics;
  bool force = false;
};

std::string p_value_text(double p) { return p < 1e-4 ? "<0.0001" : fmt_num(p, 4); }

void print_table(const ResultsComparison& comparison, std::ostream& os) {
  TextTable table({"variant", "metric", "baseline p50", "candidate p50", "delta %", "direction", "p (U test)",
                   "significant", "n base/cand"});
  for (const auto& c : comparison.metrics)
    table.add_row({c.variant, c.metric, fmt_num(c.baseline_median, 3), fmt_num(c.candidate_median, 3),
                   fmt_num(c.delta_pct, 2), c.verdict(), p_value_text(c.p_value), c.significant ? "yes" : "no",
                   std::to_string(c.baseline_count) + "/" + std::to_string(c.candidate_count)});
  os << "medians of the raw samples (per request, per step, per repetition); significant: Mann-Whitney U p < "
     << comparison.significance_level << "\n";
  table.print(os);
  if (!comparison.counters.empty()) {
    os << "\ncounters (one value per run: no test)\n";
    TextTable counters({"variant", "counter", "baseline", "candidate", "change %"});
    for (const auto& c : comparison.counters)
      counters.add_row({c.variant, c.counter, fmt_num(c.baseline, 0), fmt_num(c.candidate, 0), fmt_num(c.change_pct, 2)});
    counters.print(os);
  }
  for (const auto& u : comparison.unpaired) os << "not compared: " << u << "\n";
}

void compare(const CompareArgs& args) {
  const nlohmann::json baseline = read_comparable_results(args.baseline),
                       candidate = read_comparable_results(args.candidate);
  if ((baseline.value("kind", "") == kKbenchResultsKind) != (candidate.value("kind", "") == kKbenchResultsKind))
    throw InputError("compare refused: one of '" + args.baseline + "' and '" + args.candidate +
                     "' is a kbench (Google Benchmark) file and the other a results file");
  const std::vector<std::string> mismatches = results_pair_mismatches(baseline, candidate);
  if (!mismatches.empty() && !args.force) {
    std::string all;
    for (const auto& m : mismatches) all += "\n  " + m;
    throw InputError("compare refused: '" + args.baseline + "' and '" + args.candidate +
                     "' measured different things (pass --force to compare anyway):" + all);
  }
  const auto comparison = compare_results(baseline, candidate, args.alpha, args.metrics);
  if (args.format == "json") {
    nlohmann::json doc = comparison.to_json();
    doc["baseline"] = args.baseline;
    doc["candidate"] = args.candidate;
    doc["mismatches"] = mismatches;
    std::cout << doc.dump(2) << "\n";
    return;
  }
  for (const auto& m : mismatches) std::cerr << "rooflm: warning (--force): " << m << "\n";
  print_table(comparison, std::cout);
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand("compare", "Compare two results files: deltas and their significance");
  sub->add_option("baseline", args->baseline, "Baseline results.json (A)")->required();
  sub->add_option("candidate", args->candidate, "Candidate results.json (B)")->required();
  sub->add_option("--format", args->format, "table (terminal) or json")->check(CLI::IsMember({"table", "json"}));
  sub->add_option("--alpha", args->alpha, "Significance level of the Mann-Whitney U test")
      ->check(CLI::Range(1e-9, 0.5));
  sub->add_option("--metric", args->metrics, "Only these metrics (ttft_ms, tpot_ms, itl_ms, e2e_ms, step_ms, "
                                              "output_tok_s, goodput_req_s, goodput_tok_s)");
  sub->add_flag("--force", args->force, "Compare even when the files are of different scenarios, models or GPUs");
  sub->callback([args] { compare(*args); });
}

}  // namespace rooflm
