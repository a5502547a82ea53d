// CPU reference of RoPE from an inverse-frequency table (see rope.h).
#include "reference/rope.h"

#include <cmath>

namespace rooflm::ref {

void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim,
          const double* inv_freq) {
  const int64_t half = head_dim / 2;
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      const double angle = double(positions[t]) * inv_freq[i];
      const float c = float(std::cos(angle)), s = float(std::sin(angle));
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + (t * n_heads + h) * head_dim;
        const float x1 = v[i], x2 = v[i + half];
        v[i] = x1 * c - x2 * s;
        v[i + half] = x2 * c + x1 * s;
      }
    }
  }
}

}  // namespace rooflm::ref
