// capacity_ratios: pairs of capacity entries that differ in one sweep key (see capacity_ratios.h).
#include "engine/report/capacity_ratios.h"

#include <cmath>
#include <cstdio>

namespace rooflm {

namespace {

std::string value_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }
std::string last_component(const std::string& path) { return path.substr(path.rfind('.') + 1); }

// The one key whose value differs between two sweep points; empty when none or several do.
std::string only_difference(const nlohmann::json& a, const nlohmann::json& b) {
  if (!a.is_object() || !b.is_object() || a.size() != b.size()) return "";
  std::string key;
  for (const auto& [k, v] : a.items()) {
    if (!b.contains(k)) return "";
    if (b.at(k) == v) continue;
    if (!key.empty()) return "";
    key = k;
  }
  return key;
}

}  // namespace

std::string CapacityRatio::text() const {
  std::string head = numerator + " / " + denominator + (others.empty() ? "" : " (" + others + ")") + ": ";
  if (std::isnan(ratio)) return head + "no ratio: a side holds the SLO at no probed value (search.lo fails)";
  if (bound == "?") return head + "both hold the SLO at search.hi: raise search.hi for a ratio";
  char number[32];
  std::snprintf(number, sizeof number, "%.2fx", ratio);
  const std::string prefix = bound.empty() ? "" : bound + " ";
  return head + prefix + number + " at the same SLO" +
         (bound.empty() ? "" : bound == ">=" ? " (the numerator held at search.hi)" : " (the base held at search.hi)");
}

std::vector<CapacityRatio> capacity_ratios(const nlohmann::json& capacity) {
  std::vector<CapacityRatio> ratios;
  if (!capacity.is_array() || capacity.empty()) return ratios;
  const nlohmann::json& first = capacity.front().value("sweep", nlohmann::json::object());
  for (size_t i = 0; i < capacity.size(); ++i) {
    for (size_t j = i + 1; j < capacity.size(); ++j) {
      const nlohmann::json& base = capacity[i];
      const nlohmann::json& other = capacity[j];
      const nlohmann::json a = base.value("sweep", nlohmann::json::object());
      const nlohmann::json b = other.value("sweep", nlohmann::json::object());
      const std::string key = only_difference(a, b);
      if (key.empty() || !first.contains(key) || a.at(key) != first.at(key)) continue;
      CapacityRatio r;
      r.key = key;
      r.numerator = value_text(b.at(key));
      r.denominator = value_text(a.at(key));
      for (const auto& [k, v] : a.items())
        if (k != key) r.others += (r.others.empty() ? "" : " ") + last_component(k) + "=" + value_text(v);
      const nlohmann::json& num = other.at("value");
      const nlohmann::json& den = base.at("value");
      if (!num.is_number() || !den.is_number() || den.get<double>() <= 0) {
        r.ratio = NAN;
      } else {
        r.ratio = num.get<double>() / den.get<double>();
        const bool num_hi = other.value("status", "") == "at_hi", den_hi = base.value("status", "") == "at_hi";
        r.bound = num_hi && den_hi ? "?" : num_hi ? ">=" : den_hi ? "<=" : "";
      }
      ratios.push_back(r);
    }
  }
  return ratios;
}

}  // namespace rooflm
