// SmoothQuant's weight transform on the GPU (engine/model/smoothing.h), bit for bit as the host's
// apply_smoothing: every changed value is computed in fp32 and rounded to fp16 (nearest even).
//   scale_columns_f16: w[r, j] = fp16(w[r, j] * s[j])   (the weights that read a smoothed input)
//   divide_rows_f16:   w[r, j] = fp16(w[r, j] / s[r])   (norm weights and biases with cols = 1,
//                                                        V and up_proj rows)
// `s` is on the device: [cols] or [rows] floats, each finite and > 0 (the caller checks).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

void scale_columns_f16(__half* w, int64_t rows, int64_t cols, const float* s, cudaStream_t stream);
void divide_rows_f16(__half* w, int64_t rows, int64_t cols, const float* s, cudaStream_t stream);

}  // namespace rooflm
