// `rooflm profile <scenario> --tool ncu|nsys [--variant LABEL] [--steps SPEC] [--kernels N]
//  [--set NAME | --set path=value]... [--out DIR] [--dry-run] [--quiet] [--no-progress]`: runs one variant of the scenario
// under Nsight Compute or Nsight Systems, limited to the profiler's capture window (the steps SPEC
// names, measure.profile_steps: engine/profile/step_window.h), and folds the profile back into the
// run's results.json.
//   ncu: `--profile-from-start off` (only the window), the fixed metric set of
//        engine/profile/profile_merge.h (plus any section set `--set NAME` names), with --kernels N
//        at most N launches per launch configuration (grid, block, shared memory: about N per op).
//        Keeps DIR/profile.ncu-rep, exports its raw page twice as CSV (kernel names, and the same
//        launches renamed "<innermost NVTX range>/<kernel>": the recipe's op), and writes run.profile:
//        per op and kernel, ncu's DRAM bytes beside the cost model's, flagged when off by > 10%.
//   nsys: `--capture-range=cudaProfilerApi` and the "rooflm" NVTX domain; keeps DIR/profile.nsys-rep,
//        or says that nsys made none and keeps the raw capture.
// `--set` with '=' overrides a scenario value as in `rooflm run`; without, it is ncu's --set.
// --dry-run prints the command and runs nothing. A missing tool: exit 2 saying how to install it.
// --quiet prints only errors and the path of results.json (the tool's and the run's stdout dropped);
// --no-progress passes on to the run.
#include <filesystem>
#include <iostream>
#include <map>

#include "common/error.h"
#include "common/json_text.h"
#include "engine/profile/ncu_csv.h"
#include "engine/profile/profile_merge.h"
#include "engine/profile/step_window.h"
#include "engine/results/atomic_write.h"
#include "engine/results/results_reader.h"
#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_flags.h"
#include "tools/cli/run_folder.h"
#include "tools/cli/subprocess.h"
#include "tools/cli/text_table.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultSteps = "decode:10-14";
constexpr int64_t kMaxCsvBytes = int64_t(1) << 30;  // an export of ncu's raw page

struct ProfileArgs {
  std::string scenario, tool, variant, steps, out, ncu = "ncu", nsys = "nsys";
  int64_t kernels = 0;
  std::vector<std::string> sets;
  bool dry_run = false;
  OutputFlags output;
};

const Scenario& choose_variant(const std::vector<Scenario>& points, const std::string& label, bool quiet) {
  if (label.empty()) {
    if (points.size() > 1 && !quiet)
      std::cerr << "profile: " << points.size() << " variants; profiling the first, \""
                << variant_label(points.front().sweep_point) << "\" (--variant LABEL chooses)\n";
    return points.front();
  }
  std::string labels;
  for (const Scenario& p : points) {
    if (variant_label(p.sweep_point) == label) return p;
    labels += (labels.empty() ? "\"" : ", \"") + variant_label(p.sweep_point) + "\"";
  }
  throw InputError("--variant \"" + label + "\": the scenario has no such variant (have: " + labels + ")");
}

fs::path require_tool(const std::string& program, const std::string& tool) {
  if (const auto found = find_program(program)) return *found;
  const std::string package = tool == "ncu" ? "Nsight Compute (ncu)" : "Nsight Systems (nsys)";
  throw InputError("--tool " + tool + ": " + program + " not found on PATH: install " + package +
                   " (the CUDA toolkit's " + (tool == "ncu" ? "cuda-nsight-compute" : "cuda-nsight-systems") +
                   " package, or NVIDIA's standalone installer) and put its folder on PATH, or name it with --" + tool);
}

void print_ops(const nlohmann::json& profile) {
  TextTable t({"op", "launches", "us / call", "ncu MB / call", "model MB / call", "ncu / model", ""});
  auto num = [](const nlohmann::json& v, double scale, int decimals) {
    return v.is_number() ? fmt_num(v.get<double>() * scale, decimals) : std::string("-");
  };
  for (const nlohmann::json& op : profile["ops"]) {
    const std::string name = op["op"].get<std::string>();
    t.add_row({name.empty() ? "(no op)" : name, std::to_string(op["launches"].get<int64_t>()),
               num(op["duration_us"], 1, 2), num(op["measured_bytes_per_call"], 1e-6, 3),
               num(op["model_bytes_per_call"], 1e-6, 3), num(op["measured_over_model"], 1, 3),
               op["model_off"] == true ? "off by > 10%" : ""});
  }
  t.print(std::cout);
}

void profile_command(const ProfileArgs& a) {
  if (a.tool != "ncu" && a.tool != "nsys") throw InputError("--tool \"" + a.tool + "\": must be ncu or nsys");
  std::vector<std::string> overrides, ncu_sets;
  for (const std::string& s : a.sets) (s.find('=') == std::string::npos ? ncu_sets : overrides).push_back(s);
  if (a.tool == "nsys" && !ncu_sets.empty())
    throw InputError("--set " + ncu_sets.front() + ": a section set is an ncu option (--tool ncu)");
  if (a.kernels < 0) throw InputError("--kernels " + std::to_string(a.kernels) + ": must be >= 1 (0: no limit)");
  const std::vector<Scenario> points = load_scenario(a.scenario, overrides);
  const Scenario& point = choose_variant(points, a.variant, a.output.quiet);
  const std::string steps_spec =
      !a.steps.empty() ? a.steps : point.measure.profile_steps ? point.measure.profile_steps->to_string() : kDefaultSteps;
  std::string error;
  if (!parse_step_window(steps_spec, error)) throw InputError("--steps: " + error);
  // without --out: a fresh out/<scenario>_profile/<UTC timestamp> (run_folder.h), checked or made now
  RunFolder folder(a.out, fs::path("out") / (point.name + "_profile"));
  const fs::path out = folder.path();

  // The measured run: this variant alone (its sweep values pinned), one repetition, the window.
  std::vector<std::string> run = {self_executable().string(), "run", a.scenario, "--out", out.string()};
  for (const std::string& o : overrides) run.insert(run.end(), {"--set", o});
  for (const auto& [path, value] : point.sweep_point.items()) run.insert(run.end(), {"--set", path + "=" + value.dump()});
  for (const std::string& o : {"measure.profile_steps=" + steps_spec, std::string("measure.repetitions=1"),
                               std::string("measure.kernel_trace=false"), std::string("measure.accuracy.mode=off")})
    run.insert(run.end(), {"--set", o});
  if (!a.output.progress()) run.push_back("--no-progress");

  const fs::path report = out / "profile";
  std::vector<std::string> cmd;
  if (a.tool == "ncu") {
    std::string metrics;
    for (const std::string& m : ncu_profile_metrics()) metrics += (metrics.empty() ? "" : ",") + m;
    cmd = {a.ncu, "--profile-from-start", "off", "--nvtx", "--metrics", metrics};
    for (const std::string& s : ncu_sets) cmd.insert(cmd.end(), {"--set", s});
    if (a.kernels > 0)
      cmd.insert(cmd.end(), {"--launch-count", std::to_string(a.kernels), "--filter-mode", "per-launch-config"});
    cmd.insert(cmd.end(), {"--force-overwrite", "--export", report.string()});
  } else {
    cmd = {a.nsys, "profile", "--capture-range=cudaProfilerApi", "--capture-range-end=stop", "--trace=cuda,nvtx",
           "--nvtx-domain-include=rooflm", "--force-overwrite=true", "--output", report.string()};
  }
  cmd.insert(cmd.end(), run.begin(), run.end());
  if (!a.output.quiet || a.dry_run) std::cout << shell_line(cmd) << "\n";
  if (a.dry_run) return;

  cmd.front() = require_tool(cmd.front(), a.tool).string();
  fs::create_directories(out);
  const int rc = a.output.quiet ? run_process(cmd, "/dev/null") : run_process(cmd);
  const fs::path results = out / "results.json";
  if (rc != 0 || !fs::exists(results))
    throw std::runtime_error(a.tool + " exited with " + std::to_string(rc) +
                             (fs::exists(results) ? "" : " and the run wrote no " + results.string()));
  nlohmann::json doc = read_results(results);
  nlohmann::json& run_json = doc["runs"][0];
  nlohmann::json profile = {{"tool", a.tool}, {"command", shell_line(cmd)}, {"steps", steps_spec},
                            {"kernels_per_launch_config", a.kernels > 0 ? nlohmann::json(a.kernels) : nlohmann::json(nullptr)}};
  if (a.tool == "ncu") {
    const fs::path rep = report.string() + ".ncu-rep", csv = out / "profile_raw.csv", csv_ops = out / "profile_raw_ops.csv";
    const std::vector<std::string> import = {cmd.front(), "--import", rep.string(), "--csv", "--page", "raw", "--print-units", "base"};
    std::vector<std::string> import_ops = import;
    import_ops.insert(import_ops.end(), {"--print-nvtx-rename", "kernel"});
    if (run_process(import, csv) != 0 || run_process(import_ops, csv_ops) != 0)
      throw std::runtime_error("ncu --import " + rep.string() + " failed");
    const std::vector<NcuLaunch> launches = parse_ncu_raw_csv(read_text_file(csv, kMaxCsvBytes, "ncu CSV export"), ncu_profile_metrics(), csv.string());
    std::map<int64_t, std::string> op_of;
    for (const NcuLaunch& l : parse_ncu_raw_csv(read_text_file(csv_ops, kMaxCsvBytes, "ncu CSV export"), {}, csv_ops.string())) op_of[l.id] = op_of_nvtx_renamed(l.kernel);
    const nlohmann::json merged = merge_ncu_profile(launches, op_of, run_json["capture_window"].value("model_ops", nlohmann::json::array()));
    profile.update(merged);
    profile["report"] = rep.filename().string();
    profile["csv"] = {csv.filename().string(), csv_ops.filename().string()};
  } else {
    const fs::path rep = report.string() + ".nsys-rep";
    if (fs::exists(rep)) {
      profile["report"] = rep.filename().string();
    } else {
      std::string raw;
      for (const auto& e : fs::directory_iterator(out))
        if (e.path().extension() == ".qdstrm") raw = e.path().filename().string();
      profile["report"] = nullptr;
      profile["raw"] = raw.empty() ? nlohmann::json(nullptr) : nlohmann::json(raw);
      std::cerr << "profile: nsys made no report (" << rep.string() << ")"
                << (raw.empty() ? "" : "; its raw capture is kept: " + (out / raw).string()) << "\n";
    }
  }
  run_json["profile"] = profile;
  write_json_atomic(results, doc);
  if (a.output.quiet) {
    std::cout << results.string() << "\n";
    folder.finish();
    return;
  }
  if (a.tool == "ncu") {
    print_ops(profile);
    std::cout << profile["launches"].get<int64_t>() << " launches profiled; " << profile["ops_off_model"].get<int64_t>()
              << " ops whose modelled bytes are off by more than 10%\n";
  }
  std::cout << "results: " << results.string() << "\n";
  if (const std::string latest = folder.finish(); !latest.empty()) std::cout << latest << "\n";
}

}  // namespace

void add_profile_command(CLI::App& app) {
  auto a = std::make_shared<ProfileArgs>();
  CLI::App* sub = app.add_subcommand("profile", "Run one variant under Nsight Compute / Systems, limited to the measured steps");
  sub->add_option("scenario", a->scenario, "Scenario file")->required();
  sub->add_option("--tool", a->tool, "ncu (Nsight Compute: per-kernel counters into results.json) or nsys")->required();
  sub->add_option("--variant", a->variant, "The variant's label (as `rooflm run` prints it; default: the first)");
  sub->add_option("--steps", a->steps, std::string("Capture window: [prefill:|decode:|mixed:]FIRST[-LAST] (default: measure.profile_steps, else ") + kDefaultSteps + ")");
  sub->add_option("--kernels", a->kernels, "ncu: at most N launches per launch configuration (about N per op; 0: all)");
  sub->add_option("--set", a->sets, "path=value: override a scenario value; NAME: an ncu section set (ncu --set)");
  sub->add_option("--out", a->out, "Output folder (default: a fresh out/<scenario>_profile/<UTC timestamp>, linked from its latest)")
      ->option_text("DIR");
  sub->add_option("--ncu", a->ncu, "The ncu to run (default: ncu on PATH)");
  sub->add_option("--nsys", a->nsys, "The nsys to run (default: nsys on PATH)");
  sub->add_flag("--dry-run", a->dry_run, "Print the command; run nothing");
  add_output_flags(sub, a->output);
  sub->callback([a] { profile_command(*a); });
}

}  // namespace rooflm
