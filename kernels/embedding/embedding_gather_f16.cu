// Embedding gather (see embedding_gather_f16.h): one block per token, one thread per 8 elements.
#include "kernels/embedding/embedding_gather_f16.h"

#include <string>

#include "common/error.h"
#include "kernels/activation/vec8.cuh"
#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

constexpr int kThreads = 128;

__global__ void embedding_gather_kernel(const __half* __restrict__ table,   // [vocab, hidden]
                                        const int32_t* __restrict__ tokens,  // [n]
                                        float* __restrict__ x,               // [n, hidden]
                                        int vocab, int hidden) {
  const int token = tokens[blockIdx.x];
  const bool valid = token >= 0 && token < vocab;
  float* x_row = x + size_t(blockIdx.x) * hidden;
  for (int i = threadIdx.x * 8; i < hidden; i += kThreads * 8) {
    Float8 v;
    if (valid) {
      v = load_f16x8(table + size_t(token) * hidden + i);
    } else {
#pragma unroll
      for (int k = 0; k < 8; ++k) v.v[k] = __int_as_float(0x7fc00000);  // quiet NaN
    }
    store_f32x8(x_row + i, v);
  }
}

}  // namespace

bool embedding_gather_f16_supported(int64_t hidden) { return hidden > 0 && hidden % 8 == 0; }

void embedding_gather_f16(const __half* table, const int32_t* tokens, float* x, int64_t n, int64_t vocab,
                          int64_t hidden, cudaStream_t stream) {
  ROOFLM_CHECK(embedding_gather_f16_supported(hidden) && hidden <= INT32_MAX,
               "unsupported embedding hidden: " + std::to_string(hidden));
  ROOFLM_CHECK(n >= 0 && n <= INT32_MAX && vocab > 0 && vocab <= INT32_MAX,
               "embedding shape n=" + std::to_string(n) + " vocab=" + std::to_string(vocab));
  ROOFLM_CHECK(reinterpret_cast<uintptr_t>(table) % 16 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0,
               "embedding gather needs 16-byte aligned table and x");
  if (n == 0) return;
  embedding_gather_kernel<<<unsigned(n), kThreads, 0, stream>>>(table, tokens, x, int(vocab), int(hidden));
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace rooflm
