// Quantised linear layers for decode batches above the GEMVs' few tokens (gemv_quant.h), on the
// tensor cores with the dequantisation fused: y = x W^T (+ bias), W [out, in] quantised
// (kernels/quant/quant_weight.h), each code streamed once from HBM.
//   gemm_mma_w8a16: W8A16, the mixed-input GEMM: int8 codes widened to fp16 in registers and
//                   multiplied by their fp16 scale (tensor, channel or group: fp16(code * scale), the
//                   values dequantize_weight_f16 writes), fp16 MMA (m16n8k16) with fp32 sums, + bias.
//   gemm_mma_w8a8:  W8A8 int8: int8 MMA (m16n8k32), exact int32 sums, then the dequantising
//                   epilogue y = float(acc) * x_scale[t] * w_scale[o] + bias[o], left to right in
//                   fp32 (the CPU reference's order, reference/quant_linear.h: its result rounded
//                   once to fp16). FP8 E4M3: e4m3 MMA with fp32 sums, the same epilogue.
// Layout: a block of 8 warps owns 32 output rows and up to 32 tokens (more tokens: more blocks along
// grid.y); its warps take turns over the input dimension in steps of 128, and their partial sums
// meet in shared memory in a fixed order (deterministic). Each thread loads 32 consecutive codes of
// each of its rows and the same 32 inputs of each of its tokens, which permutes the MMA's k order
// (a dot product does not see it). The first weight loads overlap the previous kernel (programmatic
// dependent launch, kernels/common/pdl.cuh).
// Requirements (gemm_quant_mma_supported): in a positive multiple of 128; W8A16 group scales with a
// group size that is a multiple of 32; 16-byte aligned x and codes.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/quant/quant_weight.h"

namespace rooflm {

bool gemm_quant_mma_supported(int64_t n, int64_t in, int64_t out, WeightGrain grain, int64_t group_size);

//   x: [n, w.cols] fp16; bias: [w.rows] or nullptr; y: [n, w.rows] fp16
void gemm_mma_w8a16(const __half* x, const QuantWeightDevice& w, const __half* bias, __half* y, int64_t n,
                    cudaStream_t stream);
//   x_codes: [n, w.cols] (int8 for an i8 weight, e4m3 for f8e4m3); x_scales: [n] fp32
void gemm_mma_w8a8(const uint8_t* x_codes, const float* x_scales, const QuantWeightDevice& w, const __half* bias,
                   __half* y, int64_t n, cudaStream_t stream);

}  // namespace rooflm
