// `rooflm report a.json [b.json ...] -o/--output report.html [--format html|md|csv] [--baseline LABEL]`: one
// self-contained HTML page (charts inlined, renders offline) headed by each variant's key metrics
// against the baseline variant, or the variant table as Markdown (PR comments) or CSV. md/csv go
// to stdout without -o. `rooflm report A.json B.json --compare [-o/--output FILE]`: the page headed by B
// against A per variant (without -o: out/compare/<UTC timestamp>/compare.html). Every results file
// is validated first (results_reader.h); the output is written atomically (a failure leaves no
// partial or empty file).
#include <iostream>

#include "common/error.h"
#include "engine/report/report_data.h"
#include "engine/report/report_html.h"
#include "engine/report/report_text.h"
#include "engine/results/atomic_write.h"
#include "engine/results/results_reader.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_path.h"
#include "tools/cli/run_folder.h"
#include "tools/cli/output_flags.h"

namespace rooflm {
namespace {

struct ReportArgs {
  std::vector<std::string> files;
  std::string out, format = "html", baseline;
  bool compare = false;
};

void compare_report(const ReportArgs& args) {
  if (args.format != "html") throw InputError("rooflm report --compare writes HTML only (drop --format " + args.format + ")");
  if (args.files.size() != 2)
    throw InputError("rooflm report --compare takes exactly two results files (A.json B.json), got " +
                     std::to_string(args.files.size()));
  const ReportOptions options{args.baseline, true};
  if (!args.out.empty()) {
    require_writable_file(args.out, "-o");
    write_html_report({args.files.begin(), args.files.end()}, args.out, options);
    std::cout << "compare: " << args.out << "\n";
    return;
  }
  RunFolder folder("", std::filesystem::path("out") / "compare");
  const auto out = folder.path() / "compare.html";
  write_html_report({args.files.begin(), args.files.end()}, out, options);
  std::cout << "compare: " << out.string() << "\n" << folder.finish() << "\n";
}

void report(const ReportArgs& args) {
  if (args.compare) return compare_report(args);
  if (args.format == "html") {
    if (args.out.empty()) throw InputError("rooflm report --format html needs -o/--output FILE.html");
    write_html_report({args.files.begin(), args.files.end()}, args.out, {args.baseline, false});
    std::cout << "report: " << args.out << "\n";
    return;
  }
  std::vector<NamedResults> files;
  for (const auto& path : args.files) files.push_back({path, read_results(path)});
  const nlohmann::json data = report_data(files, {args.baseline, false});
  const std::string text = args.format == "md" ? render_report_markdown(data) : render_report_csv(data);
  if (args.out.empty()) {
    std::cout << text;
    return;
  }
  write_text_atomic(args.out, text);
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* sub = app.add_subcommand("report", "Report of one or more results files: HTML (charts), Markdown or CSV");
  sub->add_option("results", args->files, "results.json files (each a column of the comparison)")->required();
  add_output_file_option(sub, args->out, "Output file (required for html; stdout for md/csv otherwise)");
  sub->add_option("--format", args->format, "html, md or csv")->check(CLI::IsMember({"html", "md", "csv"}));
  sub->add_option("--baseline", args->baseline, "Variant label the headline compares every variant against (default: the first)");
  sub->add_flag("--compare", args->compare,
                "Two files A B: per variant (matched by label) B beside A, ratio and significance (default -o: out/compare/<timestamp>/compare.html)");
  sub->callback([args] { report(*args); });
}

}  // namespace rooflm
