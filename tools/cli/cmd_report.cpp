// `rooflm report a.json [b.json ...] -o/--output report.html [--format html|md|csv]`: one self-contained HTML
// page (charts inlined, renders offline), or the variant table as Markdown (PR comments) or CSV.
// md/csv go to stdout without -o. Every results file is validated first (results_reader.h); the
// output is written atomically (a failure leaves no partial or empty file).
#include <iostream>

#include "common/error.h"
#include "engine/report/report_data.h"
#include "engine/report/report_html.h"
#include "engine/report/report_text.h"
#include "engine/results/atomic_write.h"
#include "engine/results/results_reader.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_flags.h"

namespace rooflm {
namespace {

struct ReportArgs {
  std::vector<std::string> files;
  std::string out, format = "html";
};

void report(const ReportArgs& args) {
  if (args.format == "html") {
    if (args.out.empty()) throw InputError("rooflm report --format html needs -o/--output FILE.html");
    write_html_report({args.files.begin(), args.files.end()}, args.out);
    std::cout << "report: " << args.out << "\n";
    return;
  }
  std::vector<NamedResults> files;
  for (const auto& path : args.files) files.push_back({path, read_results(path)});
  const nlohmann::json data = report_data(files);
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
  sub->callback([args] { report(*args); });
}

}  // namespace rooflm
