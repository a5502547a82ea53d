// CPU references of the residual-stream ops: residual add and RMSNorm (fp32 data; RMSNorm sums
// squares in double). The fused add+RMSNorm kernel is checked against residual_add then rmsnorm.
#pragma once

#include <cstdint>

namespace rooflm::ref {

// x[t, :] += r[t, :] in fp32.                                x, r: [n, dim]
void residual_add(float* x, const float* r, int64_t n, int64_t dim);

// y[t, :] = x[t, :] * float(1 / sqrt(mean(x[t, :]^2) + eps)) * w, the mean in double, the
// products in fp32.                                         x, y: [n, dim]; w: [dim]
void rmsnorm(const float* x, const float* w, float* y, int64_t n, int64_t dim, double eps);

}  // namespace rooflm::ref
