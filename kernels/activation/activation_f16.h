// MLP activation kernels, fp16 storage and fp32 arithmetic.
//   Naive set (separate gate and up GEMMs): silu_f16 then mul_f16, one kernel each.
//   Fused set (one gate/up GEMM with W_gate_up = [W_gate; W_up], [2*ffn, hidden]): silu_mul_f16 reads
//   its output gate_up [n, 2*ffn], whose row t holds gate[t, 0..ffn) then up[t, 0..ffn), and writes
//   y[t, j] = silu(gate[t, j]) * up[t, j] in one pass.
// 16-byte vectors: counts and ffn must be multiples of 8, pointers 16-byte aligned.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/quant/quant_rows.h"

namespace rooflm {

// True when `count` (naive kernels: all elements; fused: ffn) is a positive multiple of 8.
bool activation_f16_supported(int64_t count);

// y = g / (1 + exp(-g)); y may alias g.            g, y: [count]
void silu_f16(const __half* g, __half* y, int64_t count, cudaStream_t stream);

// y = a * b; y may alias a or b.                   a, b, y: [count]
void mul_f16(const __half* a, const __half* b, __half* y, int64_t count, cudaStream_t stream);

// y[t, j] = silu(gate_up[t, j]) * gate_up[t, ffn + j].   gate_up: [n, 2*ffn]; y: [n, ffn]
void silu_mul_f16(const __half* gate_up, __half* y, int64_t n, int64_t ffn, cudaStream_t stream);

// silu_mul_f16 writing y quantised (kernels/quant/quant_rows.h), from the fp32 silu(gate) * up: the
// quantise op of W8A8 / FP8 fused into the activation that feeds down_proj. One block per token.
void silu_mul_quant(const __half* gate_up, const QuantizedRows& out, int64_t n, int64_t ffn, cudaStream_t stream);

}  // namespace rooflm
