// CPU reference of y = x W^T (+ bias) (see linear.h).
#include "reference/linear.h"

#include "reference/dot.h"
#include "reference/parallel.h"

namespace rooflm::ref {

void linear_xwt(ThreadPool* pool, const float* x, const float* w, const float* bias, float* y, int64_t n,
                int64_t in, int64_t out) {
  detail::parallel_for(pool, out, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const float* w_row = w + o * in;
      const float b = bias ? bias[o] : 0.0f;
      for (int64_t t = 0; t < n; ++t) {
        const float acc = detail::dot(x + t * in, w_row, in);
        y[t * out + o] = bias ? acc + b : acc;
      }
    }
  });
}

}  // namespace rooflm::ref
