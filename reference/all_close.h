// The element-wise tolerance every kernel is held to against its CPU reference:
// |got - ref| <= atol + rtol * |ref| for every element, NaN never passes. One implementation, used
// by the GPU tests (tests/gpu/gpu_test_util.h's all_close) and by kbench's check before timing.
#pragma once

#include <cstddef>
#include <string>

namespace rooflm::ref {

struct CloseReport {
  size_t checked = 0;     // elements compared
  size_t off = 0;         // elements outside the tolerance (NaN included)
  double max_abs_err = 0; // over the finite differences
  std::string first;      // the first few failures: " [i] got G ref R;"

  bool ok() const { return off == 0; }
  CloseReport& operator+=(const CloseReport& other);
};

// Compares got[0, count) with ref[0, count); `what` prefixes the reported failures (may be empty).
CloseReport compare_close(const float* got, const float* ref, size_t count, double atol, double rtol,
                          const std::string& what = "");

}  // namespace rooflm::ref
