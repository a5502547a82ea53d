// Residual add, RMSNorm and fused add+RMSNorm over the fp32 residual stream (see rmsnorm_f16.h).
// Each thread handles groups of 8 elements (two float4 of x, one uint4 of fp16); RMSNorm runs one
// block per token row: pass 1 sums squares (fp32 per thread, then a fixed-order block reduction),
// pass 2 re-reads the row (L1/L2-resident by then) and writes h.
#include "kernels/norm/rmsnorm_f16.h"

#include <algorithm>
#include <string>
#include <type_traits>

#include "common/error.h"
#include "kernels/activation/vec8.cuh"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"
#include "kernels/quant/quant_rows.cuh"

namespace rooflm {
namespace {

constexpr int kMaxRowThreads = 256;

// Sum over the block in a fixed order: warp butterflies, then every thread adds the warp sums in order.
__device__ float block_sum(float v) {
  __shared__ float warp_sums[kMaxRowThreads / 32];
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  float total = 0.0f;
  for (int k = 0; k < int(blockDim.x / 32); ++k) total += warp_sums[k];
  return total;
}

__global__ void residual_add_kernel(float* __restrict__ x,         // [count] fp32
                                    const __half* __restrict__ r,  // [count]
                                    int64_t n_groups) {
  const int64_t g = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (g >= n_groups) return;
  Float8 xs = load_f32x8(x + g * 8);
  const Float8 rs = load_f16x8(r + g * 8);
#pragma unroll
  for (int i = 0; i < 8; ++i) xs.v[i] += rs.v[i];
  store_f32x8(x + g * 8, xs);
}

// Where a norm's output goes: fp16 rows, or quantised codes and one scale per row (the W8A8 / FP8
// GEMM input, quant_math.cuh), per token from the row's max |h| or with the one static scale.
struct F16Rows {
  __half* h;  // [n, dim]
};
template <bool FP8>
struct QuantRows {
  uint8_t* codes;      // [n, dim]
  float* scales;       // [n]
  float static_scale;  // > 0: every row's scale; 0: per token (dynamic)
};

// One block per row. ADD_RESIDUAL: x += r first (and x is written back).
template <bool ADD_RESIDUAL, class Out>
__global__ void __launch_bounds__(kMaxRowThreads)
    rmsnorm_kernel(float* __restrict__ x,         // [n, dim] fp32
                   const __half* __restrict__ r,  // [n, dim] (read when ADD_RESIDUAL)
                   const __half* __restrict__ w,  // [dim]
                   Out out, int dim, float eps) {
  pdl_launch_dependents();  // the next GEMV may start streaming weights (it waits for us before reading h)
  pdl_wait();               // x and r are the previous kernels' output
  const int groups = dim / 8;
  const size_t row = blockIdx.x;
  float* x_row = x + row * dim;
  float sum_squares = 0.0f;
  for (int g = threadIdx.x; g < groups; g += blockDim.x) {
    Float8 xs = load_f32x8(x_row + g * 8);
    if constexpr (ADD_RESIDUAL) {
      const Float8 rs = load_f16x8(r + row * dim + g * 8);
#pragma unroll
      for (int i = 0; i < 8; ++i) xs.v[i] += rs.v[i];
      store_f32x8(x_row + g * 8, xs);
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) sum_squares = fmaf(xs.v[i], xs.v[i], sum_squares);
  }
  const float inv_rms = rsqrtf(block_sum(sum_squares) / float(dim) + eps);
  // This thread's own values of the row (written above when ADD_RESIDUAL), normalised.
  const auto normed = [&](int g) {
    Float8 xs = load_f32x8(x_row + g * 8);
    const Float8 ws = load_f16x8(w + g * 8);
#pragma unroll
    for (int i = 0; i < 8; ++i) xs.v[i] = xs.v[i] * inv_rms * ws.v[i];
    return xs;
  };
  if constexpr (std::is_same_v<Out, F16Rows>) {
    for (int g = threadIdx.x; g < groups; g += blockDim.x) store_f16x8(out.h + row * dim + g * 8, normed(g));
  } else {
    constexpr bool kFp8 = std::is_same_v<Out, QuantRows<true>>;
    quantize_row_block<kFp8>(normed, groups, out.codes + row * dim, out.scales + row, out.static_scale);
  }
}

void check_args(int64_t n, int64_t dim, std::initializer_list<const void*> pointers) {
  ROOFLM_CHECK(n >= 0 && n <= INT32_MAX, "norm n_tokens=" + std::to_string(n));
  ROOFLM_CHECK(rmsnorm_f16_supported(dim) && dim <= INT32_MAX, "unsupported norm dim: " + std::to_string(dim));
  for (const void* p : pointers)
    ROOFLM_CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0, "norm kernels need 16-byte aligned pointers");
}

unsigned row_threads(int64_t dim) { return unsigned(std::min<int64_t>(kMaxRowThreads, (dim / 8 + 31) / 32 * 32)); }

template <bool ADD_RESIDUAL, class Out>
void launch_rmsnorm(float* x, const __half* r, const __half* w, Out out, int64_t n, int64_t dim, float eps,
                    cudaStream_t stream) {
  if (n == 0) return;
  launch_with_pdl(rmsnorm_kernel<ADD_RESIDUAL, Out>, unsigned(n), row_threads(dim), 0, stream, x, r, w, out, int(dim), eps);
}

template <bool ADD_RESIDUAL>
void launch_rmsnorm_quant(float* x, const __half* r, const __half* w, const QuantizedRows& out, int64_t n,
                          int64_t dim, float eps, cudaStream_t stream) {
  ROOFLM_CHECK(out.dtype == DType::i8 || out.dtype == DType::f8e4m3, "quantised norm output is int8 or fp8");
  ROOFLM_CHECK(out.static_scale >= 0.0f, "a static activation scale is > 0");
  if (out.dtype == DType::f8e4m3)
    launch_rmsnorm<ADD_RESIDUAL>(x, r, w, QuantRows<true>{out.codes, out.scales, out.static_scale}, n, dim, eps, stream);
  else
    launch_rmsnorm<ADD_RESIDUAL>(x, r, w, QuantRows<false>{out.codes, out.scales, out.static_scale}, n, dim, eps, stream);
}

}  // namespace

bool rmsnorm_f16_supported(int64_t dim) { return dim > 0 && dim % 8 == 0; }

void residual_add_f16(float* x, const __half* r, int64_t n, int64_t dim, cudaStream_t stream) {
  check_args(n, dim, {x, r});
  const int64_t n_groups = n * dim / 8;
  if (n_groups == 0) return;
  constexpr int kThreads = 256;
  const unsigned blocks = unsigned((n_groups + kThreads - 1) / kThreads);
  residual_add_kernel<<<blocks, kThreads, 0, stream>>>(x, r, n_groups);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

void rmsnorm_f16(const float* x, const __half* w, __half* h, int64_t n, int64_t dim, float eps, cudaStream_t stream) {
  check_args(n, dim, {x, w, h});
  // Without ADD_RESIDUAL the kernel never writes x.
  launch_rmsnorm<false>(const_cast<float*>(x), nullptr, w, F16Rows{h}, n, dim, eps, stream);
}

void add_rmsnorm_f16(float* x, const __half* r, const __half* w, __half* h, int64_t n, int64_t dim, float eps,
                     cudaStream_t stream) {
  check_args(n, dim, {x, r, w, h});
  launch_rmsnorm<true>(x, r, w, F16Rows{h}, n, dim, eps, stream);
}

void rmsnorm_quant(const float* x, const __half* w, const QuantizedRows& out, int64_t n, int64_t dim, float eps,
                   cudaStream_t stream) {
  check_args(n, dim, {x, w, out.codes});
  launch_rmsnorm_quant<false>(const_cast<float*>(x), nullptr, w, out, n, dim, eps, stream);
}

void add_rmsnorm_quant(float* x, const __half* r, const __half* w, const QuantizedRows& out, int64_t n, int64_t dim,
                       float eps, cudaStream_t stream) {
  check_args(n, dim, {x, r, w, out.codes});
  launch_rmsnorm_quant<true>(x, r, w, out, n, dim, eps, stream);
}

}  // namespace rooflm
