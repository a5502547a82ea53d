// CPU reference of the linear layer y = x W^T (+ bias), Hugging Face layout W [out, in], fp32
// with the fixed-order 8-partial-sum dot product (reference/dot.h): the oracle of the cuBLASLt GEMM
// and the decode GEMV kernels, and the cpu backend's projections.
#pragma once

#include <cstdint>

#include "common/thread_pool.h"

namespace rooflm::ref {

// y[t, o] = dot(x[t, :], w[o, :]) (+ bias[o]). Parallel over output features on `pool` (nullptr:
// serial); each weight row is streamed once for all n tokens.
//   x: [n, in]; w: [out, in]; bias: [out] or nullptr (none); y: [n, out]
void linear_xwt(ThreadPool* pool, const float* x, const float* w, const float* bias, float* y, int64_t n,
                int64_t in, int64_t out);

}  // namespace rooflm::ref
