// export_github_benchmark(): github-action-benchmark's custom formats
// (https://github.com/benchmark-action/github-action-benchmark: customSmallerIsBetter,
// customBiggerIsBetter): a JSON array of {"name", "unit", "value", "range"?, "extra"?}.
#include <cstdio>

#include "engine/results/export_metrics.h"
#include "engine/results/results_export.h"

namespace rooflm {

namespace {

std::string shown(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", x);
  return text;
}

}  // namespace

std::string export_github_benchmark(const nlohmann::json& doc, bool smaller_is_better) {
  nlohmann::json out = nlohmann::json::array();
  for (const ExportedMetric& m : exported_metrics(doc)) {
    if (m.smaller_is_better != smaller_is_better) continue;
    nlohmann::json entry = {{"name", benchmark_name(doc, m) + "/" + m.key}, {"unit", m.unit}, {"value", m.value}};
    if (m.lo && m.hi) {
      entry["range"] = "± " + shown((*m.hi - *m.lo) / 2);
      entry["extra"] = "95% CI [" + shown(*m.lo) + ", " + shown(*m.hi) + "] over " + std::to_string(m.ci_n) +
                       " repetitions (Student t)";
    }
    out.push_back(entry);
  }
  return out.dump(2) + "\n";
}

}  // namespace rooflm
