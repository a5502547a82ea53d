// Quantised linear weights on the GPU (the precision axis, engine/model/precision.h): codes [rows,
// cols] (int8 or FP8 E4M3, one byte each) and their scales, in the layouts of the CPU reference
// (reference/quant.h), which these kernels reproduce bit for bit:
//   tensor: one scale; channel: one per row (output channel); group: one per (row, group of
//   group_size consecutive columns), row-major [rows, cols / group_size].
//   int8 scales are fp16 (__half), e4m3 scales fp32.
// quantize_weight_f16 turns an fp16 weight into codes and scales (at load); dequantize_weight_f16
// writes code * scale back as fp16 (the W8A16 prefill path: dequantise, then the fp16 GEMM).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "common/dtype.h"

namespace rooflm {

enum class WeightGrain : uint8_t { tensor, channel, group };

// Rows [row_begin, row_begin + rows) of a quantised weight on the device.
struct QuantWeightDevice {
  DType dtype = DType::i8;  // i8 | f8e4m3
  WeightGrain grain = WeightGrain::channel;
  int64_t rows = 0, cols = 0, group_size = 0;
  const uint8_t* codes = nullptr;  // [rows, cols]
  const void* scales = nullptr;    // __half (i8) or float (f8e4m3), from the view's first row

  // Scales per row (tensor: 0: every row reads scales[0]).
  int64_t scales_per_row() const { return grain == WeightGrain::group ? cols / group_size : grain == WeightGrain::channel ? 1 : 0; }
  // The view of rows [begin, begin + n) of this one.
  QuantWeightDevice rows_from(int64_t begin, int64_t n) const;
};

// Scales of a [rows, cols] weight and their bytes.
int64_t weight_scale_count(WeightGrain grain, int64_t rows, int64_t cols, int64_t group_size);
int64_t weight_scale_bytes(DType dtype, WeightGrain grain, int64_t rows, int64_t cols, int64_t group_size);

// Empty when the kernels take this weight, else why not: cols a positive multiple of 16, the group
// size a multiple of 16 dividing cols, dtype i8 or f8e4m3 (group scales: i8 only).
std::string quant_weight_problem(DType dtype, WeightGrain grain, int64_t cols, int64_t group_size);

// codes, scales <- w [rows, cols] fp16. Returns false when a weight is not finite or an int8 scale
// overflows fp16 (the caller raises InputError naming the tensor). Synchronises the stream.
bool quantize_weight_f16(const __half* w, int64_t rows, int64_t cols, DType dtype, WeightGrain grain,
                         int64_t group_size, uint8_t* codes, void* scales, cudaStream_t stream);

// y [rows, cols] = fp16(code * scale) (int8 only: the W8A16 dequantise-then-GEMM path).
void dequantize_weight_f16(const QuantWeightDevice& w, __half* y, cudaStream_t stream);

}  // namespace rooflm
