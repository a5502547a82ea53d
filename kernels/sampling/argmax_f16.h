// argmax_f16: greedy sampling on the GPU, the token of each row of logits with the largest value,
// the lowest index on ties (as engine/runtime/sampler.cpp's argmax). Logits must not hold NaN.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

// logits: [n_rows, vocab]; tokens: [n_rows] int32 (device)
void argmax_f16(const __half* logits, int32_t* tokens, int64_t n_rows, int64_t vocab, cudaStream_t stream);

}  // namespace rooflm
