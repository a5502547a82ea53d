// CPU reference of the linear layer y = x W^T (Hugging Face layout W [out, in]) with double
// accumulation: the oracle of the cuBLASLt GEMM and the decode GEMV kernels.
#pragma once

#include <cstdint>

namespace rooflm::ref {

// y[t, o] = sum_i x[t, i] * w[o, i]            x: [n, in]; w: [out, in]; y: [n, out]
void linear_xwt(const float* x, const float* w, float* y, int64_t n, int64_t in, int64_t out);

}  // namespace rooflm::ref
