// CPU reference of RoPE, rotate_half convention (see rope_ref.h).
#include "kernels/reference/rope_ref.h"

#include <cmath>

namespace rooflm::ref {

void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim, double theta) {
  const int64_t half = head_dim / 2;
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      const double angle = double(positions[t]) * std::pow(theta, -2.0 * double(i) / double(head_dim));
      const double c = std::cos(angle), s = std::sin(angle);
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + (t * n_heads + h) * head_dim;
        const double x1 = v[i], x2 = v[i + half];
        v[i] = float(x1 * c - x2 * s);
        v[i + half] = float(x2 * c + x1 * s);
      }
    }
  }
}

}  // namespace rooflm::ref
