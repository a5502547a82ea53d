// The two-file comparison of the report: variants matched by label (see report_compare.h).
#include "engine/report/report_compare.h"

#include "engine/report/headline_metrics.h"
#include "engine/report/report_headline.h"

namespace rooflm {

nlohmann::json report_comparison(const NamedResults& a, const NamedResults& b) {
  const std::vector<HeadlineRow> rows_a = headline_rows(a.doc), rows_b = headline_rows(b.doc);
  auto find = [](const std::vector<HeadlineRow>& rows, const std::string& label) -> const HeadlineRow* {
    for (const auto& r : rows)
      if (r.label == label) return &r;
    return nullptr;
  };
  nlohmann::json variants = nlohmann::json::array(), only_a = nlohmann::json::array(), only_b = nlohmann::json::array();
  for (const auto& ra : rows_a) {
    const HeadlineRow* rb = find(rows_b, ra.label);
    if (!rb) {
      only_a.push_back(ra.label);
      continue;
    }
    nlohmann::json metrics = nlohmann::json::array();
    if (ra.run && rb->run)
      for (const auto& m : headline_metrics()) metrics.push_back(metric_against(m, *rb->run, *ra.run));
    nlohmann::json v = {{"label", ra.label}, {"metrics", metrics}};
    if (ra.capacity && rb->capacity) v["capacity"] = capacity_against(*rb->capacity, *ra.capacity);
    variants.push_back(v);
  }
  for (const auto& rb : rows_b)
    if (!find(rows_a, rb.label)) only_b.push_back(rb.label);
  return {{"a", a.name}, {"b", b.name}, {"variants", variants}, {"only_a", only_a}, {"only_b", only_b}};
}

}  // namespace rooflm
