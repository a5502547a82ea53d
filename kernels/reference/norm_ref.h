// CPU references of the residual-stream ops: residual add and RMSNorm (double arithmetic).
// The fused add+RMSNorm kernel is checked against residual_add followed by rmsnorm.
#pragma once

#include <cstdint>

namespace rooflm::ref {

// x[t, :] += r[t, :]                                      x, r: [n, dim]
void residual_add(float* x, const float* r, int64_t n, int64_t dim);

// h[t, :] = x[t, :] / sqrt(mean(x[t, :]^2) + eps) * w     x, h: [n, dim]; w: [dim]
void rmsnorm(const float* x, const float* w, float* h, int64_t n, int64_t dim, double eps);

}  // namespace rooflm::ref
