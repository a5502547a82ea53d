// gemv_xwt_f16: the decode-time linear layer for a few tokens (n = 1..16), a skinny GEMM that
// streams the weights once from HBM.
//   y[n, out] = x[n, in] W^T (+ bias[out])   W in Hugging Face layout [out, in], row-major
// fp16 storage, fp32 accumulation; the optional bias (Qwen2's Q/K/V) is added to the fp32 sum in
// registers before the fp16 store, so it costs no extra launch. A block of 128 threads owns `rows_per_block` consecutive output
// rows; its threads split the in-dimension in 16-byte vectors (8 halves), so one block issues the
// whole of its rows' loads at once (4 per thread in flight per row); x is read through L1 (every
// block reads the same x), weights bypass L1. Partial sums are reduced by warp shuffles, then
// across the 4 warps in shared memory, in a fixed order (deterministic).
// Launched with programmatic dependent launch (PDL): the first weight loads are issued before the
// kernel waits for the previous kernel in the stream, hiding the launch gap and that kernel's
// tail. Requirement: no earlier kernel still running may write W (weights never change in a step).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

inline constexpr int64_t kGemvMaxTokens = 16;

// True when the kernel handles this shape: 1 <= n <= 16, in a positive multiple of 8 (16-byte
// rows), out >= 1. Pointers must also be 16-byte aligned (cudaMalloc's are).
bool gemv_xwt_f16_supported(int64_t n, int64_t in, int64_t out);

// Rows per block the dispatch uses for n tokens (1, 2 or 4; tuned on an H100, see kbench).
int gemv_xwt_f16_default_rows(int64_t n);

// y = x W^T + bias.           x: [n, in]; w: [out, in]; bias: [out] or nullptr (none); y: [n, out]
//                             (all fp16)
void gemv_xwt_f16(const __half* x, const __half* w, const __half* bias, __half* y, int64_t n, int64_t in,
                  int64_t out, cudaStream_t stream);

// As gemv_xwt_f16 with an explicit rows_per_block in {1, 2, 4} (for tuning sweeps).
void gemv_xwt_f16_rows(const __half* x, const __half* w, const __half* bias, __half* y, int64_t n, int64_t in,
                       int64_t out, int rows_per_block, cudaStream_t stream);

// The fused set's gate_up_proj at fp16: y[n, out] = silu(x W_gate^T) * (x W_up^T), w_gate_up
// [2 * out, in] = [gate rows; up rows]. [gate | up] never goes to memory; each product is rounded
// to fp16 before SiLU, so y has the bits of gemv_xwt_f16 (2 * out rows) followed by silu_mul_f16.
// Supported where gemv_xwt_f16_supported(n, in, 2 * out) holds.
void gemv_xwt_f16_silu_mul(const __half* x, const __half* w_gate_up, __half* y, int64_t n, int64_t in, int64_t out,
                           cudaStream_t stream);

// Output rows per block it uses for n tokens (each streams two weight rows).
int gemv_xwt_f16_silu_mul_default_rows(int64_t n);

// As gemv_xwt_f16_silu_mul with an explicit rows_per_block in {1, 2, 4} (for tuning sweeps).
void gemv_xwt_f16_silu_mul_rows(const __half* x, const __half* w_gate_up, __half* y, int64_t n, int64_t in,
                                int64_t out, int rows_per_block, cudaStream_t stream);

}  // namespace rooflm
