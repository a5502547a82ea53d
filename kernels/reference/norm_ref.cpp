// CPU references of residual add and RMSNorm (see norm_ref.h).
#include "kernels/reference/norm_ref.h"

#include <cmath>

namespace rooflm::ref {

void residual_add(float* x, const float* r, int64_t n, int64_t dim) {
  for (int64_t i = 0; i < n * dim; ++i) x[i] = float(double(x[i]) + double(r[i]));
}

void rmsnorm(const float* x, const float* w, float* h, int64_t n, int64_t dim, double eps) {
  for (int64_t t = 0; t < n; ++t) {
    const float* x_row = x + t * dim;
    double sum_squares = 0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += double(x_row[i]) * double(x_row[i]);
    const double inv_rms = 1.0 / std::sqrt(sum_squares / double(dim) + eps);
    for (int64_t i = 0; i < dim; ++i) h[t * dim + i] = float(double(x_row[i]) * inv_rms * double(w[i]));
  }
}

}  // namespace rooflm::ref
