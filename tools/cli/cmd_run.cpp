// `rooflm run <scenario> [--out DIR] [--backend cpu|cuda|sim] [--set path=value]... [--quiet] [--no-progress]`
// Runs every variant of the scenario (with a `search` section: each variant's capacity search,
// every probe a run), writes DIR/results.json atomically (default DIR: a fresh
// out/<scenario>/<UTC timestamp>, out/<scenario>/latest pointing at it), prints a summary table
// (latencies at the lowest and highest of measure.percentiles: p50 and p99 by default). --quiet
// prints only errors and the path of results.json; --no-progress drops the progress line.
// SIGINT / SIGTERM stop the run within a step and nothing is written (engine/runtime/interrupt.h;
// exit 130 / 143).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "common/error.h"
#include "engine/metrics/percentiles.h"
#include "engine/profile/profile_range.h"
#include "engine/report/report_html.h"
#include "engine/results/results.h"
#include "engine/runtime/capacity_run.h"
#include "engine/runtime/interrupt.h"
#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"
#include "engine/scenario/workload_source.h"
#include "tools/cli/capacity_summary.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_flags.h"
#include "tools/cli/progress_line.h"
#include "tools/cli/run_folder.h"
#include "tools/cli/text_table.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string scenario;
  std::string out;
  std::string backend;
  std::string gpu;
  std::string calibrate_from;
  std::vector<std::string> sets;
  OutputFlags output;
};

// NaN when the summary has no such value (no samples, or another run's percentiles).
double stat(const nlohmann::json& summary, const char* metric, const std::string& key) {
  const auto& stats = summary.at(metric);
  if (!stats.contains(key) || !stats[key].is_number()) return NAN;
  return stats[key].get<double>();
}

// "prefill 71% / decode 83%" of a utilisation object ({phase: {"datasheet": x, ...}}), or "-".
std::string phase_pcts(const nlohmann::json& util) {
  if (!util.is_object()) return "-";
  std::string out;
  for (const char* phase : {"prefill", "decode", "mixed"}) {
    if (!util.contains(phase) || !util[phase]["datasheet"].is_number()) continue;
    if (!out.empty()) out += " ";
    out += std::string(1, phase[0]) + ":" + fmt_num(100 * util[phase]["datasheet"].get<double>(), 0) + "%";
  }
  return out.empty() ? "-" : out;
}

void print_summary(const std::vector<VariantResult>& results, const std::vector<double>& percentiles, std::ostream& os) {
  // The lowest and the highest percentile of measure.percentiles (p50, p99 by default); one when
  // the list has one.
  const std::string low = percentile_name(percentiles.front()), high = percentile_name(percentiles.back());
  std::vector<std::string> header = {"variant", "backend", "done", "TTFT " + low};
  if (high != low) header.push_back("TTFT " + high);
  header.push_back("TPOT " + low);
  if (high != low) header.push_back("TPOT " + high);
  for (const std::string& h : {"ITL " + high, "E2E " + low, std::string("out tok/s"), std::string("req/s"),
                               std::string("goodput"), std::string("good tok/s"), std::string("KV waste"),
                               std::string("MBU"), std::string("MFU")})
    header.push_back(h);
  TextTable table(header);
  for (const auto& r : results) {
    const auto& s = r.run.at("summary");
    const auto& req = s.at("requests");
    std::vector<std::string> row = {r.label, r.run.at("variant").at("backend").get<std::string>(),
                                    std::to_string(req.at("completed").get<int64_t>()) + "/" +
                                        std::to_string(req.at("completed").get<int64_t>() + req.at("failed").get<int64_t>()),
                                    fmt_num(stat(s, "ttft_ms", low), 1)};
    if (high != low) row.push_back(fmt_num(stat(s, "ttft_ms", high), 1));
    row.push_back(fmt_num(stat(s, "tpot_ms", low), 2));
    if (high != low) row.push_back(fmt_num(stat(s, "tpot_ms", high), 2));
    for (const std::string& cell :
         {fmt_num(stat(s, "itl_ms", high), 2), fmt_num(stat(s, "e2e_ms", low), 1),
          fmt_num(s.at("throughput").at("output_tok_s").get<double>(), 1),
          fmt_num(s.at("throughput").at("req_s").get<double>(), 2), fmt_num(s.at("goodput_req_s").get<double>(), 2),
          fmt_num(s.at("goodput_tok_s").get<double>(), 1), fmt_num(s.at("kv").at("waste_pct").get<double>(), 1) + "%",
          phase_pcts(s.at("mbu")), phase_pcts(s.at("mfu"))})
      row.push_back(cell);
    table.add_row(row);
  }
  os << "times in ms; TPOT = (finish - first token)/(outputs - 1) per request; ITL = every token gap;"
        " goodput = req/s meeting every SLO, good tok/s = their output tokens/s;\n"
        "MBU/MFU per phase (p: prefill, d: decode, m: mixed) against the datasheet peak\n";
  table.print(os);
  for (const auto& r : results) {
    if (!r.run.contains("accuracy")) continue;
    const auto& a = r.run.at("accuracy");
    char line[256];
    std::snprintf(line, sizeof line, "accuracy %s vs %s: KL %.3e, top-1 %.2f%%, logit NMSE %.3e, ppl %.3f (reference %.3f)\n",
                  r.label.c_str(), a.at("reference").get<std::string>().c_str(), a.at("kl_mean").get<double>(),
                  100 * a.at("top1_agreement").get<double>(), a.at("logit_nmse").get<double>(),
                  a.at("perplexity").get<double>(), a.at("perplexity_reference").get<double>());
    os << line;
  }
  for (const auto& r : results) {
    const auto& s = r.run.at("summary");
    if (s.value("energy_j", nlohmann::json(nullptr)).is_number())
      os << "energy " << r.label << ": " << fmt_num(s.at("energy_j").get<double>(), 2) << " J, "
         << fmt_num(s.at("tokens_per_j").get<double>(), 2) << " output tokens/J ("
         << r.run.at("telemetry").value("energy_source", "") << ")\n";
  }
  for (const auto& r : results)
    for (const auto& reason : r.run.value("invalid_reasons", nlohmann::json::array()))
      os << "INVALID " << r.label << ": " << reason.get<std::string>() << "\n";
}

// One variant: a plain run, or (a scenario with `search`) its capacity search's probes.
void run_point(const Scenario& point, size_t index, size_t count, const BackendOptions& options,
               ProgressLine& progress, std::vector<VariantResult>& results, std::vector<nlohmann::json>& capacity) {
  const std::string head = "variant " + std::to_string(index + 1) + "/" + std::to_string(count);
  auto reps = [](const VariantProgress& p) {
    return std::string(p.warmup ? " warm-up" : "") + " rep " + std::to_string(p.repetition + 1) + "/" +
           std::to_string(p.repetitions) + ": " + std::to_string(p.engine.finished) + "/" +
           std::to_string(p.engine.total) + " requests, " + std::to_string(p.engine.steps) + " steps";
  };
  if (!point.search) {
    results.push_back(run_variant(point, options, [&](const VariantProgress& p) {
      progress.update(head + " (" + p.label + ")" + reps(p));
    }));
    results.back().run["scenario"] = point.resolved;
    return;
  }
  CapacityResult found = run_capacity_search(point, options, [&](const CapacityProgress& p) {
    progress.update(head + " (" + p.variant + ") probe " + std::to_string(p.probe + 1) + " at " +
                    fmt_num(p.value, 3) + reps(p.run));
  });
  for (auto& probe : found.probes) results.push_back(std::move(probe));
  capacity.push_back(std::move(found.capacity));
}

void run(const RunArgs& args) {
  std::vector<std::string> overrides = args.sets;
  if (!args.backend.empty()) overrides.push_back("engine.backend=" + args.backend);
  if (!args.gpu.empty()) overrides.push_back("engine.gpu=" + args.gpu);
  BackendOptions options;
  options.calibrate_from = args.calibrate_from;
  const std::vector<Scenario> points = load_scenario(args.scenario, overrides);
  RunFolder folder(args.out, fs::path("out") / points.front().name);

  std::vector<VariantResult> results;
  std::vector<nlohmann::json> capacity;
  const InterruptScope interrupt_scope;
  ProgressLine progress(args.output.progress());
  std::optional<ProfileRange> run_range(std::in_place, RangeLevel::run, "run " + points.front().name);
  for (size_t i = 0; i < points.size(); ++i) {
    throw_if_interrupted();
    run_point(points[i], i, points.size(), options, progress, results, capacity);
  }
  run_range.reset();
  progress.finish();

  std::vector<nlohmann::json> runs;
  for (const auto& r : results) runs.push_back(r.run);
  nlohmann::json scenario = {{"name", points.front().name},
                             {"description", points.front().description},
                             {"source", points.front().source.string()},
                             {"variants", int64_t(points.size())},
                             {"resolved", points.front().resolved}};
  const nlohmann::json workload_source = workload_source_json(points.front().workload);
  if (!workload_source.is_null()) scenario["workload_source"] = workload_source;
  const auto doc = make_results(capture_environment(results.front().device_info), scenario, runs, capacity);
  const std::string path = (folder.path() / "results.json").string();
  throw_if_interrupted();
  write_json_atomic(path, doc);
  std::ostringstream report_log;
  write_report_beside(path, report_log);
  const std::string latest = folder.finish();

  if (args.output.quiet) {
    if (report_log.str().rfind("report: ", 0) != 0) std::cerr << report_log.str();  // only its failure
    std::cout << path << "\n";
  } else {
    std::cerr << report_log.str();
    print_summary(results, points.front().measure.percentiles, std::cout);
    print_capacity(doc.value("capacity", nlohmann::json::array()), std::cout);
    // a trace or ShareGPT file: what it holds (a mooncake trace's shared-prefix fraction)
    if (const std::string source = workload_source_line(points.front().workload); !source.empty())
      std::cout << source << "\n";
    std::cout << "results: " << path << "\n";
    if (!latest.empty()) std::cout << latest << "\n";
  }
  for (const auto& r : results)
    if (!r.valid)
      throw std::runtime_error("run \"" + r.label + "\" marked invalid (an MBU or MFU above 1, or throttled GPU clocks): " +
                               "see runs[].invalid_reasons in " + path);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Run a scenario (every sweep variant) and write results.json");
  sub->add_option("scenario", args->scenario, "Scenario file (rooflm.scenario/1, JSON with comments)")->required();
  sub->add_option("--out", args->out, "Output folder for results.json and report.html (default: a fresh out/<scenario name>/<UTC timestamp>, linked from out/<scenario name>/latest)")
      ->option_text("DIR");
  sub->add_option("--backend", args->backend, "Override engine.backend")
      ->check(CLI::IsMember({"auto", "cpu", "cuda", "sim"}));
  sub->add_option("--gpu", args->gpu, "GPU spec the sim backend models (rooflm list gpus)");
  sub->add_option("--calibrate-from", args->calibrate_from,
                  "sim: scale the roofline by the per-phase efficiencies of this measured results.json");
  sub->add_option("--set", args->sets, "Override a scenario value: path=value (JSON value or string)");
  add_output_flags(sub, args->output);
  sub->callback([args] { run(*args); });
}

}  // namespace rooflm
