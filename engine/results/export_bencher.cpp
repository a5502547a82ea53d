// export_bencher(): Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format).
#include <algorithm>

#include "engine/results/export_metrics.h"
#include "engine/results/results_export.h"

namespace rooflm {

namespace {

// "ttft_ms.p99.9" -> "ttft-ms-p99-9": a Bencher slug (lower case, digits, '-').
std::string measure_slug(const std::string& key) {
  std::string slug = key;
  std::replace_if(slug.begin(), slug.end(), [](char c) { return c == '_' || c == '.'; }, '-');
  return slug;
}

}  // namespace

std::string export_bencher(const nlohmann::json& doc) {
  nlohmann::json out = nlohmann::json::object();
  for (const ExportedMetric& m : exported_metrics(doc)) {
    nlohmann::json metric = {{"value", m.value}};
    if (m.lo && m.hi) {
      metric["lower_value"] = *m.lo;
      metric["upper_value"] = *m.hi;
    }
    out[benchmark_name(doc, m)][measure_slug(m.key)] = metric;
  }
  return out.dump(2) + "\n";
}

}  // namespace rooflm
