// `rooflm export results.json --format bencher|github-benchmark|github-benchmark-bigger|jsonl
// [-o/--output FILE]`: a results file in a benchmark tracker's format (engine/results/results_export.h),
// on stdout or written atomically to FILE. The file goes through the results reader first: a broken
// or non-conforming one is exit 2 naming it, and nothing is written.
#include <iostream>

#include "common/error.h"
#include "engine/results/atomic_write.h"
#include "engine/results/results_export.h"
#include "engine/results/results_reader.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_flags.h"
#include "tools/cli/output_path.h"

namespace rooflm {
namespace {

struct ExportArgs {
  std::string results, format, out;
};

void export_command(const ExportArgs& args) {
  if (!args.out.empty()) require_writable_file(args.out, "--output");
  const nlohmann::json doc = read_results(args.results);
  std::string text;
  try {
    if (args.format == "bencher") text = export_bencher(doc);
    if (args.format == "github-benchmark") text = export_github_benchmark(doc, true);
    if (args.format == "github-benchmark-bigger") text = export_github_benchmark(doc, false);
    if (args.format == "jsonl") text = export_requests_jsonl(doc);
  } catch (const InputError& e) {
    throw InputError("results file '" + args.results + "': " + e.what());
  }
  if (args.out.empty()) {
    std::cout << text;
    return;
  }
  write_text_atomic(args.out, text);
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* sub = app.add_subcommand("export", "A results file in a benchmark tracker's format (Bencher, github-action-benchmark) or per-request JSON lines");
  sub->add_option("results", args->results, "results.json")->required();
  sub->add_option("--format", args->format,
                  "bencher (Bencher Metric Format), github-benchmark (customSmallerIsBetter: latencies), "
                  "github-benchmark-bigger (customBiggerIsBetter: throughput, goodput, capacity), "
                  "jsonl (one line per request)")
      ->required()
      ->check(CLI::IsMember({"bencher", "github-benchmark", "github-benchmark-bigger", "jsonl"}));
  add_output_file_option(sub, args->out, "Write to this file (atomically) instead of stdout");
  sub->callback([args] { export_command(*args); });
}

}  // namespace rooflm
