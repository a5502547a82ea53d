// The element-wise tolerance check (see all_close.h).
#include "reference/all_close.h"

#include <algorithm>
#include <cmath>

namespace rooflm::ref {
namespace {
constexpr size_t kReportedFailures = 5;
}  // namespace

CloseReport& CloseReport::operator+=(const CloseReport& other) {
  checked += other.checked;
  off += other.off;
  max_abs_err = std::max(max_abs_err, other.max_abs_err);
  first += other.first;
  return *this;
}

CloseReport compare_close(const float* got, const float* ref, size_t count, double atol, double rtol,
                          const std::string& what) {
  CloseReport r;
  r.checked = count;
  for (size_t i = 0; i < count; ++i) {
    const double err = std::abs(double(got[i]) - double(ref[i]));
    if (std::isfinite(err)) r.max_abs_err = std::max(r.max_abs_err, err);
    if (err <= atol + rtol * std::abs(double(ref[i]))) continue;
    if (r.off++ < kReportedFailures)
      r.first += " " + what + "[" + std::to_string(i) + "] got " + std::to_string(got[i]) + " ref " +
                 std::to_string(ref[i]) + ";";
  }
  return r;
}

}  // namespace rooflm::ref
