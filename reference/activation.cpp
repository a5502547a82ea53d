// CPU references of SiLU, multiply and fused SiLU*mul (see activation.h).
#include "reference/activation.h"

#include <cmath>

namespace rooflm::ref {
namespace {

float silu_of(float g) { return g / (1.0f + std::exp(-g)); }

}  // namespace

void silu(const float* g, float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = silu_of(g[i]);
}

void mul(const float* a, const float* b, float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = a[i] * b[i];
}

void silu_mul(const float* gate_up, float* y, int64_t n, int64_t ffn) {
  for (int64_t t = 0; t < n; ++t) {
    const float* gate = gate_up + t * 2 * ffn;
    const float* up = gate + ffn;
    for (int64_t j = 0; j < ffn; ++j) y[t * ffn + j] = silu_of(gate[j]) * up[j];
  }
}

}  // namespace rooflm::ref
