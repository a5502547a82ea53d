// `rooflm gate --baseline A.json --candidate B.json [--policy gate.json] [--markdown FILE] [--json FILE]`
// Prints a Markdown summary; exit 0 pass, 1 regression (worse than the policy's threshold AND
// significant), 2 invalid input: a file the results reader refuses (results_reader.h: nothing is
// written then), or a pair that cannot be compared (see engine/results/gate.h). --markdown and
// --json are written atomically.
#include <iostream>

#include "common/error.h"
#include "engine/results/atomic_write.h"
#include "engine/results/gate.h"
#include "engine/results/results_reader.h"
#include "tools/cli/commands.h"

namespace rooflm {
namespace {

struct GateArgs {
  std::string baseline, candidate, policy, markdown, json;
};

void gate(const GateArgs& args) {
  const GatePolicy policy = args.policy.empty() ? default_gate_policy() : read_gate_policy(args.policy);
  const GateReport report = run_gate(read_results(args.baseline), read_results(args.candidate), policy);
  const std::string markdown = gate_markdown(report, args.baseline, args.candidate);
  std::cout << markdown;
  if (!args.markdown.empty()) write_text_atomic(args.markdown, markdown);
  if (!args.json.empty()) write_text_atomic(args.json, report.to_json().dump(2) + "\n");
  if (report.invalid())
    throw InputError("gate refused: " + std::to_string(report.invalid_reasons.size()) +
                     " validity problem(s), first: " + report.invalid_reasons.front());
  if (report.regressed()) throw std::runtime_error("gate: regression (see the table above)");
}

}  // namespace

void add_gate_command(CLI::App& app) {
  auto args = std::make_shared<GateArgs>();
  CLI::App* sub = app.add_subcommand("gate", "Regression gate: exit 0 pass, 1 regression, 2 invalid pair");
  sub->add_option("--baseline", args->baseline, "Baseline results.json")->required();
  sub->add_option("--candidate", args->candidate, "Candidate results.json")->required();
  sub->add_option("--policy", args->policy, "Gate policy (rooflm.gate_policy/1); default: latencies at 5%");
  sub->add_option("--markdown", args->markdown, "Also write the Markdown summary to this file");
  sub->add_option("--json", args->json, "Also write the verdict and every row as JSON to this file");
  sub->callback([args] { gate(*args); });
}

}  // namespace rooflm
