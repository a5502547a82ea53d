// Residual-stream kernels: residual add, RMSNorm, and the fused residual add + RMSNorm.
//
// Residual stream precision: fp32. The stream x [n_tokens, hidden] is kept in fp32 while weights,
// activations and the deltas that the attention / MLP blocks add (r) are fp16. Reasons: the CPU
// oracle runs the whole stream in fp32, and in fp16 each of 2 * n_layers additions would round to
// 11 bits (Llama's outlier channels reach |x| ~ 1e2..1e3, where fp16's spacing is 0.06..0.5), so
// whole-model comparisons would drift layer by layer. Cost: 4 instead of 2 bytes per element of a
// tensor of n_tokens * hidden: 16 KB per token for a 7B model, noise beside its 13.5 GB of weights
// in decode, and ~2% of prefill time at 2048 tokens (fp32 vs fp16 stream traffic: ~1.4 vs 0.7 ms
// against ~40 ms of GEMMs). Every kernel here takes the stream as float* and everything else as
// __half*; embedding_gather_f16 and GemmCublasLt::xwt_add_residual_f16 write the same fp32 stream.
//
// All need dim % 8 == 0 (16-byte vectors: 8 halves, 2 x 4 floats) and 16-byte aligned pointers.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/quant/quant_rows.h"

namespace rooflm {

// True when dim is a positive multiple of 8.
bool rmsnorm_f16_supported(int64_t dim);

// Naive set: x += r.                                x: [n, dim] fp32; r: [n, dim] fp16
void residual_add_f16(float* x, const __half* r, int64_t n, int64_t dim, cudaStream_t stream);

// Naive set: h = x / sqrt(mean(x^2) + eps) * w.   x: [n, dim] fp32; w: [dim]; h: [n, dim] fp16
void rmsnorm_f16(const float* x, const __half* w, __half* h, int64_t n, int64_t dim, float eps,
                 cudaStream_t stream);

// Fused set, one kernel: x += r, then h = rmsnorm(x) * w; writes both x and h.
//                             x: [n, dim] fp32 (in/out); r: [n, dim] fp16; w: [dim]; h: [n, dim] fp16
void add_rmsnorm_f16(float* x, const __half* r, const __half* w, __half* h, int64_t n, int64_t dim, float eps,
                     cudaStream_t stream);

// rmsnorm_f16 / add_rmsnorm_f16 writing the normed rows quantised (kernels/quant/quant_rows.h): the
// quantise op of W8A8 / FP8 fused into the norm that feeds the GEMM. The rows' values are the fp32
// x * inv_rms * w (not rounded to fp16 first, as the CPU reference quantises its fp32 norm output).
void rmsnorm_quant(const float* x, const __half* w, const QuantizedRows& out, int64_t n, int64_t dim, float eps,
                   cudaStream_t stream);
void add_rmsnorm_quant(float* x, const __half* r, const __half* w, const QuantizedRows& out, int64_t n, int64_t dim,
                       float eps, cudaStream_t stream);

}  // namespace rooflm
