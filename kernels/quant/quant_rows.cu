// quantize_rows_f16: one block per row of fp16 values (see quant_rows.h).
#include <algorithm>
#include <string>

#include "common/error.h"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"
#include "kernels/quant/quant_rows.cuh"
#include "kernels/quant/quant_rows.h"

namespace rooflm {
namespace {

template <bool FP8>
__global__ void quantize_rows_kernel(const __half* __restrict__ x, uint8_t* __restrict__ codes,
                                     float* __restrict__ scales, float static_scale, int cols) {
  pdl_launch_dependents();
  pdl_wait();  // x is the previous kernel's output
  const size_t row = blockIdx.x;
  const __half* x_row = x + row * cols;
  const auto values = [&](int g) { return load_f16x8(x_row + g * 8); };
  quantize_row_block<FP8>(values, cols / 8, codes + row * cols, scales + row, static_scale);
}

}  // namespace

void quantize_rows_f16(const __half* x, const QuantizedRows& out, int64_t n, int64_t cols, cudaStream_t stream) {
  ROOFLM_CHECK(cols > 0 && cols % 8 == 0 && cols <= INT32_MAX, "quantize_rows_f16: cols=" + std::to_string(cols));
  ROOFLM_CHECK(out.dtype == DType::i8 || out.dtype == DType::f8e4m3, "quantised rows are int8 or fp8");
  ROOFLM_CHECK(out.static_scale >= 0.0f, "a static activation scale is > 0");
  ROOFLM_CHECK(reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(out.codes) % 16 == 0,
               "quantize_rows_f16 needs 16-byte aligned rows");
  if (n == 0) return;
  const unsigned threads = unsigned(std::min<int64_t>(kQuantRowMaxThreads, (cols / 8 + 31) / 32 * 32));
  launch_with_pdl(out.dtype == DType::f8e4m3 ? quantize_rows_kernel<true> : quantize_rows_kernel<false>, unsigned(n),
                  threads, 0, stream, x, out.codes, out.scales, out.static_scale, int(cols));
}

}  // namespace rooflm
