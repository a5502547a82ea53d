// CPU references of the MLP activations in fp32: SiLU, elementwise multiply, and the fused
// SiLU*mul over the fused gate/up GEMM output. silu followed by mul gives exactly silu_mul.
#pragma once

#include <cstdint>

namespace rooflm::ref {

// y[i] = g[i] / (1 + exp(-g[i])); y may be g.               g, y: [count]
void silu(const float* g, float* y, int64_t count);

// y[i] = a[i] * b[i]; y may be a or b.                      a, b, y: [count]
void mul(const float* a, const float* b, float* y, int64_t count);

// y[t, j] = silu(gate_up[t, j]) * gate_up[t, ffn + j]
//   gate_up: [n, 2 * ffn] (gate half, then up half); y: [n, ffn]
void silu_mul(const float* gate_up, float* y, int64_t n, int64_t ffn);

}  // namespace rooflm::ref
