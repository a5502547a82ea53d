// gather_rows_f16: dst[i, :] = src[rows[i], :] (the LM head's input: the last token of each
// sampling chunk). 16-byte vectors: dim % 8 == 0.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

// src: [n_src, dim]; rows: [n] int32 (device); dst: [n, dim]
void gather_rows_f16(const __half* src, const int32_t* rows, __half* dst, int64_t n, int64_t dim, cudaStream_t stream);

}  // namespace rooflm
