// CPU reference of y = x W^T, double accumulation (see linear_ref.h).
#include "kernels/reference/linear_ref.h"

namespace rooflm::ref {

void linear_xwt(const float* x, const float* w, float* y, int64_t n, int64_t in, int64_t out) {
  for (int64_t t = 0; t < n; ++t) {
    const float* x_row = x + t * in;
    for (int64_t o = 0; o < out; ++o) {
      const float* w_row = w + o * in;
      double sum = 0;
      for (int64_t i = 0; i < in; ++i) sum += double(x_row[i]) * double(w_row[i]);
      y[t * out + o] = float(sum);
    }
  }
}

}  // namespace rooflm::ref
