// exported_metrics(): the numbers `rooflm export` writes for trackers (see export_metrics.h).
#include "engine/results/export_metrics.h"

#include <algorithm>
#include <regex>

#include "engine/results/compare.h"

namespace rooflm {

namespace {

// "p50", "p99.9" -> 50, 99.9, in ascending order.
std::vector<std::pair<double, std::string>> percentile_keys(const nlohmann::json& stats) {
  static const std::regex pattern("^p([0-9]{1,2}(\\.[0-9]{1,3})?)$");
  std::vector<std::pair<double, std::string>> keys;
  for (const auto& [key, value] : stats.items()) {
    std::smatch m;
    if (value.is_number() && std::regex_match(key, m, pattern)) keys.emplace_back(std::stod(m[1].str()), key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

ExportedMetric metric(const std::string& variant, const std::string& key, const std::string& unit, double value,
                      bool smaller_is_better) {
  ExportedMetric m;
  m.variant = variant;
  m.key = key;
  m.unit = unit;
  m.value = value;
  m.smaller_is_better = smaller_is_better;
  return m;
}

void add_interval(const nlohmann::json& summary, ExportedMetric& m) {
  const auto ci = summary.find("ci");
  if (ci == summary.end() || !ci->is_object() || !ci->contains(m.key)) return;
  const nlohmann::json& interval = (*ci)[m.key];
  if (!interval.value("lo", nlohmann::json()).is_number() || !interval.value("hi", nlohmann::json()).is_number()) return;
  m.lo = interval["lo"].get<double>();
  m.hi = interval["hi"].get<double>();
  m.ci_n = interval.value("n", int64_t(0));
}

}  // namespace

std::vector<ExportedMetric> exported_metrics(const nlohmann::json& doc) {
  std::vector<ExportedMetric> out;
  const nlohmann::json& runs = doc.at("runs");
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string label = run_label(runs[i], i);
    const nlohmann::json& summary = runs[i].at("summary");
    for (const char* name : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"})
      for (const auto& [p, key] : percentile_keys(summary.at(name))) {
        ExportedMetric m = metric(label, std::string(name) + "." + key, "ms", summary[name][key].get<double>(), true);
        add_interval(summary, m);
        out.push_back(m);
      }
    const std::pair<const char*, const nlohmann::json*> rates[] = {
        {"output_tok_s", &summary.at("throughput").at("output_tok_s")},
        {"req_s", &summary.at("throughput").at("req_s")},
        {"goodput_req_s", &summary.at("goodput_req_s")},
        {"goodput_tok_s", summary.contains("goodput_tok_s") ? &summary["goodput_tok_s"] : nullptr}};
    for (const auto& [key, value] : rates) {
      if (!value || !value->is_number()) continue;  // goodput_tok_s: from rooflm.result/1.5 on
      const std::string unit = std::string(key).find("tok") != std::string::npos ? "tok/s" : "req/s";
      ExportedMetric m = metric(label, key, unit, value->get<double>(), false);
      add_interval(summary, m);
      out.push_back(m);
    }
  }
  for (const nlohmann::json& c : doc.value("capacity", nlohmann::json::array())) {
    if (!c.value("value", nlohmann::json()).is_number()) continue;  // below lo: no capacity
    const std::string unit = c.value("path", "") == "workload.arrival.concurrency" ? "requests in flight" : "req/s";
    out.push_back(metric(c.at("variant").get<std::string>(), "capacity", unit, c["value"].get<double>(), false));
  }
  return out;
}

std::string benchmark_name(const nlohmann::json& doc, const ExportedMetric& metric) {
  return doc.at("scenario").value("name", std::string("results")) + "/" + metric.variant;
}

}  // namespace rooflm
