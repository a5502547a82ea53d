// `rooflm gate --baseline A.json --candidate B.json [--policy gate.json] [--markdown FILE] [--json FILE]`
// Prints a Markdown summary. Exit codes:
//   0 pass
//   1 regression (worse than the policy's threshold AND significant, a changed counter, a lower capacity)
//   2 invalid input: a file the results reader refuses (results_reader.h: nothing is written then),
//     a bad policy, an unwritable --markdown / --json, or a pair that cannot be compared (engine/results/gate.h)
//   3 the gate itself failed (an internal error, e.g. out of memory or a write that failed midway):
//     never read as a regression
// --markdown and --json are written atomically.
#include <iostream>

#include "common/error.h"
#include "engine/results/atomic_write.h"
#include "engine/results/gate.h"
#include "engine/results/results_reader.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_path.h"

namespace rooflm {
namespace {

struct GateArgs {
  std::string baseline, candidate, policy, markdown, json;
};

// Exit 1: the only std::runtime_error of gate that is not a failure of the tool.
class GateRegression : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void gate(const GateArgs& args) {
  if (!args.markdown.empty()) require_writable_file(args.markdown, "--markdown");
  if (!args.json.empty()) require_writable_file(args.json, "--json");
  const GatePolicy policy = args.policy.empty() ? default_gate_policy() : read_gate_policy(args.policy);
  const GateReport report = run_gate(read_results(args.baseline), read_results(args.candidate), policy);
  const std::string markdown = gate_markdown(report, args.baseline, args.candidate);
  std::cout << markdown;
  if (!args.markdown.empty()) write_text_atomic(args.markdown, markdown);
  if (!args.json.empty()) write_text_atomic(args.json, report.to_json().dump(2) + "\n");
  if (report.invalid())
    throw InputError("gate refused: " + std::to_string(report.invalid_reasons.size()) +
                     " validity problem(s), first: " + report.invalid_reasons.front());
  if (report.regressed()) throw GateRegression("gate: regression (see the table above)");
}

}  // namespace

void add_gate_command(CLI::App& app) {
  auto args = std::make_shared<GateArgs>();
  CLI::App* sub = app.add_subcommand(
      "gate", "Regression gate. Exit codes: 0 pass; 1 regression; 2 invalid input (a results or policy file "
              "it cannot use, an unwritable output) or a pair it cannot compare; 3 the gate itself failed");
  sub->add_option("--baseline", args->baseline, "Baseline results.json")->required()->option_text("FILE");
  sub->add_option("--candidate", args->candidate, "Candidate results.json")->required()->option_text("FILE");
  sub->add_option("--policy", args->policy, "Gate policy (rooflm.gate_policy/1); default: latencies at 5%")
      ->option_text("FILE");
  sub->add_option("--markdown", args->markdown, "Also write the Markdown summary to this file")->option_text("FILE");
  sub->add_option("--json", args->json, "Also write the verdict and every row as JSON to this file")->option_text("FILE");
  sub->callback([args] {
    try {
      gate(*args);
    } catch (const InputError&) {
      throw;
    } catch (const GateRegression&) {
      throw;
    } catch (const std::exception& e) {
      throw ToolFailure(std::string("gate failed: ") + e.what());
    }
  });
}

}  // namespace rooflm
