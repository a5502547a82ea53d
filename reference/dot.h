// The fp32 dot product every reference op that reduces over a row uses (linear, attention). It
// keeps 8 independent partial sums so GCC vectorises it without -ffast-math; the summation order is
// fixed, so the result is deterministic and independent of threads or batching.
#pragma once

#include <cstdint>

namespace rooflm::ref::detail {

//                                                          a, b: [n]
inline float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace rooflm::ref::detail
