// percentile_name() and the checks of a percentile list (see percentiles.h).
#include "engine/metrics/percentiles.h"

#include <cmath>
#include <cstdio>

namespace rooflm {

std::string percentile_name(double p) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", kPercentileDecimals, p);
  std::string digits = text;
  while (digits.back() == '0') digits.pop_back();
  if (digits.back() == '.') digits.pop_back();
  return "p" + digits;
}

std::string percentile_list_problem(std::span<const double> sorted) {
  if (sorted.empty()) return "is empty: list at least one percentile, e.g. [50, 99]";
  if (sorted.size() > kMaxPercentiles)
    return "has " + std::to_string(sorted.size()) + " entries, more than the limit of " + std::to_string(kMaxPercentiles);
  const double scale = std::pow(10.0, kPercentileDecimals);
  for (size_t i = 0; i < sorted.size(); ++i) {
    const double p = sorted[i];
    char shown[40];
    std::snprintf(shown, sizeof shown, "%.10g", p);
    if (!(p > 0 && p < 100))
      return std::string("holds ") + shown + ", outside (0, 100) (min and max are always reported)";
    if (std::fabs(p * scale - std::round(p * scale)) > 1e-6)
      return std::string("holds ") + shown + ", which has more than " + std::to_string(kPercentileDecimals) +
             " decimals (e.g. 99.999)";
    if (i > 0 && percentile_name(sorted[i - 1]) == percentile_name(p))
      return std::string("holds ") + shown + " twice";
  }
  return "";
}

}  // namespace rooflm
