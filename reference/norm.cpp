// CPU references of residual add and RMSNorm (see norm.h).
#include "reference/norm.h"

#include <cmath>

namespace rooflm::ref {

void residual_add(float* x, const float* r, int64_t n, int64_t dim) {
  for (int64_t i = 0; i < n * dim; ++i) x[i] += r[i];
}

void rmsnorm(const float* x, const float* w, float* y, int64_t n, int64_t dim, double eps) {
  for (int64_t t = 0; t < n; ++t) {
    const float* x_row = x + t * dim;
    double sum_squares = 0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += double(x_row[i]) * x_row[i];
    const float inv_rms = float(1.0 / std::sqrt(sum_squares / double(dim) + eps));
    for (int64_t i = 0; i < dim; ++i) y[t * dim + i] = x_row[i] * inv_rms * w[i];
  }
}

}  // namespace rooflm::ref
