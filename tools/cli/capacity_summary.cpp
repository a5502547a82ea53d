// print_capacity: the capacity table and the ratio lines (see capacity_summary.h).
#include "tools/cli/capacity_summary.h"

#include "engine/report/capacity_ratios.h"
#include "tools/cli/text_table.h"

namespace rooflm {

namespace {

std::string shown(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  return v.is_number_integer() ? std::to_string(v.get<int64_t>()) : fmt_num(v.get<double>(), 3);
}

std::string join(const nlohmann::json& list) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ", ") + item.get<std::string>();
  return out.empty() ? "-" : out;
}

// "p99 TTFT <= 1000 ms, p99 TPOT <= 50 ms, goodput >= 95%"
std::string slo_text(const nlohmann::json& entry) {
  const std::string stat = entry.at("slo").get<std::string>();
  std::string out;
  for (const auto& [metric, limit] : entry.at("limits").items()) {
    const std::string shown_metric = metric == "ttft_ms" ? "TTFT" : metric == "tpot_ms" ? "TPOT" : "E2E";
    out += (out.empty() ? "" : ", ") + stat + " " + shown_metric + " <= " + fmt_num(limit.get<double>(), 1) + " ms";
  }
  return out + ", goodput >= " + fmt_num(100 * entry.at("goodput_fraction").get<double>(), 0) + "% of requests";
}

}  // namespace

void print_capacity(const nlohmann::json& capacity, std::ostream& os) {
  if (!capacity.is_array() || capacity.empty()) return;
  const nlohmann::json& first = capacity.front();
  os << "\ncapacity: the highest " << first.at("path").get<std::string>() << " at which " << slo_text(first)
     << " (bracketing from " << shown(first.at("lo")) << " to " << shown(first.at("hi")) << ", bisection to "
     << fmt_num(100 * first.at("tolerance").get<double>(), 1) << "%)\n";
  TextTable table({"variant", "capacity", "status", "passes at", "fails at", "probes", "bound by"});
  for (const auto& c : capacity) {
    const std::string status = c.at("status").get<std::string>();
    table.add_row({c.at("variant").get<std::string>(),
                   status == "at_hi" ? ">= " + shown(c.at("value")) : shown(c.at("value")), status,
                   shown(c.at("bracket").at("pass")), shown(c.at("bracket").at("fail")),
                   std::to_string(c.at("probes").get<int64_t>()), join(c.at("bound_by"))});
  }
  table.print(os);
  for (const CapacityRatio& r : capacity_ratios(capacity)) os << r.text() << "\n";
}

}  // namespace rooflm
