// Condensing results documents into the report's data (see report_data.h).
#include "engine/report/report_data.h"

#include <algorithm>

#include "common/error.h"
#include "engine/report/capacity_ratios.h"
#include "engine/report/report_compare.h"
#include "engine/report/report_headline.h"
#include "engine/results/compare.h"
#include "engine/results/metric_samples.h"

namespace rooflm {

namespace {

// Every k-th element so that at most kMaxReportPoints remain (always keeps the last one).
template <typename T>
std::vector<T> thinned(const std::vector<T>& values) {
  if (values.size() <= kMaxReportPoints) return values;
  std::vector<T> out;
  const double stride = double(values.size() - 1) / double(kMaxReportPoints - 1);
  for (size_t i = 0; i < kMaxReportPoints; ++i) out.push_back(values[size_t(double(i) * stride + 0.5)]);
  return out;
}

nlohmann::json phases_of(const nlohmann::json& roofline) {
  nlohmann::json out = nlohmann::json::array();
  const nlohmann::json phases = roofline.value("phases", nlohmann::json::object());
  for (const auto& [phase, p] : phases.items()) {
    const double measured_s = p.value("measured_s", 0.0);
    if (!(measured_s > 0) || !p.contains("arithmetic_intensity")) continue;
    out.push_back({{"phase", phase},
                   {"arithmetic_intensity", p["arithmetic_intensity"]},
                   {"achieved_flops_per_s", p.value("flops", 0.0) / measured_s},
                   {"bound", p.value("bound", "")}});
  }
  return out;
}

nlohmann::json steps_of(const nlohmann::json& run) {
  std::vector<nlohmann::json> steps;
  for (const auto& s : run.value("steps", nlohmann::json::array())) {
    const double capacity = s.value("kv_capacity_tokens", 0.0);
    steps.push_back({{"start_s", s.value("start", 0.0)},
                     {"step_ms", s.value("seconds", 0.0) * 1000},
                     {"n_seqs", s.value("n_seqs", 0)},
                     {"kv_occupancy", capacity > 0 ? s.value("kv_used_tokens", 0.0) / capacity : 0.0}});
  }
  return thinned(steps);
}

// run.invalid_reasons (1.3: the roofline's and throttled clocks), else the roofline's (older files).
nlohmann::json invalid_reasons_of(const nlohmann::json& run, const nlohmann::json& roofline) {
  const nlohmann::json all = run.value("invalid_reasons", nlohmann::json::array());
  return all.is_array() && !all.empty() ? all : roofline.value("invalid_reasons", nlohmann::json::array());
}

nlohmann::json run_data(const nlohmann::json& run, size_t index) {
  const nlohmann::json roofline = run.value("roofline", nlohmann::json::object());
  nlohmann::json samples = nlohmann::json::object();
  for (const char* metric : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"}) {
    std::vector<double> values = samples_of(run, metric);
    std::sort(values.begin(), values.end());
    samples[metric] = thinned(values);
  }
  nlohmann::json out = {{"label", run_label(run, index)},
                        {"variant", run.value("variant", nlohmann::json::object())},
                        {"kernels", run.value("kernels", nlohmann::json::array())},
                        {"summary", run.at("summary")},
                        {"valid", run.value("valid", true)},
                        {"invalid_reasons", invalid_reasons_of(run, roofline)},
                        {"ceilings", roofline.value("ceilings", nlohmann::json::object())},
                        {"phases", phases_of(roofline)},
                        {"samples", samples},
                        {"steps", steps_of(run)}};
  if (run.contains("accuracy")) out["accuracy"] = run["accuracy"];
  if (run.contains("kernel_breakdown")) out["kernel_breakdown"] = run["kernel_breakdown"];
  if (run.contains("kernel_trace")) out["kernel_trace"] = run["kernel_trace"];
  if (run.contains("profile")) out["profile"] = run["profile"];  // rooflm profile's table and points
  if (run.contains("telemetry") && run["telemetry"].is_object()) {  // the report shows the verdict, not the series
    out["telemetry"] = run["telemetry"];
    out["telemetry"].erase("samples");
  }
  // each op with a measured time is a roofline point (a log-log chart has no place for zero)
  nlohmann::json kernel_points = nlohmann::json::array();
  for (const auto& op : roofline.value("ops", nlohmann::json::array()))
    if (op.value("achieved_flops_per_s", 0.0) > 0 && op.value("arithmetic_intensity", 0.0) > 0) kernel_points.push_back(op);
  if (!kernel_points.empty()) out["kernel_points"] = kernel_points;
  return out;
}

}  // namespace

nlohmann::json report_data(const std::vector<NamedResults>& files, const ReportOptions& options) {
  if (options.compare && files.size() != 2)
    throw InputError("rooflm report --compare takes exactly two results files (A.json B.json), got " +
                     std::to_string(files.size()));
  nlohmann::json out_files = nlohmann::json::array();
  for (const auto& f : files) {
    nlohmann::json runs = nlohmann::json::array();
    const auto& doc_runs = f.doc.at("runs");
    for (size_t i = 0; i < doc_runs.size(); ++i) runs.push_back(run_data(doc_runs[i], i));
    nlohmann::json file = {{"name", f.name},
                           {"environment", f.doc.value("environment", nlohmann::json::object())},
                           {"scenario", f.doc.value("scenario", nlohmann::json::object())},
                           {"headline", report_headline(f.doc, options.baseline, f.name)},
                           {"runs", runs}};
    if (f.doc.contains("capacity") && f.doc["capacity"].is_array() && !f.doc["capacity"].empty()) {
      file["capacity"] = f.doc["capacity"];
      nlohmann::json ratios = nlohmann::json::array();
      for (const auto& r : capacity_ratios(f.doc["capacity"])) ratios.push_back(r.text());
      file["capacity_ratios"] = ratios;
    }
    out_files.push_back(file);
  }
  nlohmann::json out = {{"files", out_files}};
  if (options.compare) out["comparison"] = report_comparison(files[0], files[1]);
  return out;
}

}  // namespace rooflm
