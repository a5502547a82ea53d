// Greedy argmax per row (see argmax_f16.h): one block per row; each thread keeps its best
// (value, index) over a strided slice, then warp shuffles and shared memory combine them. The
// combine rule (larger value, else smaller index) is associative, so the result is exact.
#include "kernels/sampling/argmax_f16.h"

#include <string>

#include "common/error.h"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"

namespace rooflm {
namespace {

constexpr int kThreads = 256;

struct Best {
  float value;
  int index;
};

__device__ __forceinline__ Best better(Best a, Best b) {
  return (b.value > a.value || (b.value == a.value && b.index < a.index)) ? b : a;
}

__global__ void __launch_bounds__(kThreads) argmax_kernel(const __half* __restrict__ logits,  // [n_rows, vocab]
                                                          int32_t* __restrict__ tokens,       // [n_rows]
                                                          int vocab) {
  pdl_wait();  // the logits are the LM-head GEMV's output
  const __half* row = logits + size_t(blockIdx.x) * vocab;
  Best best{-INFINITY, vocab};  // index vocab loses every tie, so the first element seen replaces it
  if (vocab % 8 == 0) {  // rows are 16-byte aligned: 8 halves per load
    for (int i = threadIdx.x * 8; i < vocab; i += kThreads * 8) {
      const uint4 raw = *reinterpret_cast<const uint4*>(row + i);
      const __half* h = reinterpret_cast<const __half*>(&raw);
#pragma unroll
      for (int k = 0; k < 8; ++k) best = better(best, Best{__half2float(h[k]), i + k});
    }
  } else {
    for (int i = threadIdx.x; i < vocab; i += kThreads) best = better(best, Best{__half2float(row[i]), i});
  }
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1)
    best = better(best, Best{__shfl_xor_sync(0xffffffffu, best.value, offset),
                             __shfl_xor_sync(0xffffffffu, best.index, offset)});
  __shared__ Best warp_best[kThreads / 32];
  if (threadIdx.x % 32 == 0) warp_best[threadIdx.x / 32] = best;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int k = 1; k < kThreads / 32; ++k) best = better(best, warp_best[k]);
    tokens[blockIdx.x] = best.index;
  }
}

}  // namespace

void argmax_f16(const __half* logits, int32_t* tokens, int64_t n_rows, int64_t vocab, cudaStream_t stream) {
  ROOFLM_CHECK(n_rows >= 0 && n_rows <= INT32_MAX && vocab > 0 && vocab < INT32_MAX,
               "argmax shape n_rows=" + std::to_string(n_rows) + " vocab=" + std::to_string(vocab));
  ROOFLM_CHECK(reinterpret_cast<uintptr_t>(logits) % 16 == 0, "argmax needs 16-byte aligned logits");
  if (n_rows == 0) return;
  launch_with_pdl(argmax_kernel, unsigned(n_rows), kThreads, 0, stream, logits, tokens, int(vocab));
}

}  // namespace rooflm
