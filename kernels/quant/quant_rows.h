// Quantised activation rows (the input of a W8A8 / FP8 GEMM, engine/model/precision.h): codes
// [n, cols] (int8 or e4m3) and one fp32 scale per row, either computed from the row (dynamic, per
// token: max |x| / 127 or / 448) or the one static scale from calibration, written to every row's
// slot so that a GEMM always reads [n] scales. The ops producing a GEMM input write them in their
// epilogue (rmsnorm_quant, add_rmsnorm_quant, silu_mul_quant); quantize_rows_f16 quantises fp16 rows
// that an fp16 kernel wrote (the attention output, the naive set's mul).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "common/dtype.h"

namespace rooflm {

struct QuantizedRows {
  DType dtype = DType::i8;   // i8 | f8e4m3
  uint8_t* codes = nullptr;  // [n, cols], 16-byte aligned
  float* scales = nullptr;   // [n]
  float static_scale = 0;    // > 0: static (every row's scale); 0: dynamic
};

// out <- x [n, cols] fp16 (cols a positive multiple of 8).
void quantize_rows_f16(const __half* x, const QuantizedRows& out, int64_t n, int64_t cols, cudaStream_t stream);

}  // namespace rooflm
