// gather_rows_f16 implementation: one block per output row, 16-byte copies.
#include "kernels/common/cuda_check.h"
#include "kernels/common/gather_rows.h"
#include "kernels/common/pdl.cuh"

namespace rooflm {
namespace {

__global__ void gather_rows_kernel(const int4* __restrict__ src, const int32_t* __restrict__ rows,
                                   int4* __restrict__ dst, int64_t vecs_per_row) {
  pdl_launch_dependents();  // the LM-head GEMV may start streaming weights
  pdl_wait();               // src is the final norm's output
  const int64_t r = blockIdx.x;
  const int4* s = src + int64_t(rows[r]) * vecs_per_row;
  int4* d = dst + r * vecs_per_row;
  for (int64_t i = threadIdx.x; i < vecs_per_row; i += blockDim.x) d[i] = s[i];
}

}  // namespace

void gather_rows_f16(const __half* src, const int32_t* rows, __half* dst, int64_t n, int64_t dim, cudaStream_t stream) {
  if (n == 0) return;
  launch_with_pdl(gather_rows_kernel, unsigned(n), 256, 0, stream, reinterpret_cast<const int4*>(src), rows,
                  reinterpret_cast<int4*>(dst), dim / 8);
}

}  // namespace rooflm
