// embedding_gather_f16: token ids -> rows of the embedding table, written into the fp32 residual
// stream (see kernels/norm/rmsnorm_f16.h for why the stream is fp32).
// A token id outside [0, vocab) writes a row of NaN, so a bad id poisons the output visibly
// instead of reading out of bounds.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

// True when hidden is a positive multiple of 8 (16-byte rows).
bool embedding_gather_f16_supported(int64_t hidden);

// x[t, :] = table[tokens[t], :].      table: [vocab, hidden] fp16; tokens: [n] int32 (device); x: [n, hidden] fp32
void embedding_gather_f16(const __half* table, const int32_t* tokens, float* x, int64_t n, int64_t vocab,
                          int64_t hidden, cudaStream_t stream);

}  // namespace rooflm
