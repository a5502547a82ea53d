// SiLU, multiply and fused SiLU*mul kernels (see activation_f16.h): one thread per 8 elements.
#include "kernels/activation/activation_f16.h"

#include <algorithm>
#include <string>

#include "common/error.h"
#include "kernels/activation/vec8.cuh"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"
#include "kernels/quant/quant_rows.cuh"

namespace rooflm {
namespace {

constexpr int kThreads = 256;

__global__ void silu_kernel(const __half* g,  // [n_groups * 8]
                            __half* y,        // [n_groups * 8]
                            int64_t n_groups) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n_groups) return;
  Float8 v = load_f16x8(g + i * 8);
#pragma unroll
  for (int k = 0; k < 8; ++k) v.v[k] = silu(v.v[k]);
  store_f16x8(y + i * 8, v);
}

__global__ void mul_kernel(const __half* a,  // [n_groups * 8]
                           const __half* b,  // [n_groups * 8]
                           __half* y,        // [n_groups * 8]
                           int64_t n_groups) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n_groups) return;
  Float8 va = load_f16x8(a + i * 8);
  const Float8 vb = load_f16x8(b + i * 8);
#pragma unroll
  for (int k = 0; k < 8; ++k) va.v[k] *= vb.v[k];
  store_f16x8(y + i * 8, va);
}

__global__ void silu_mul_kernel(const __half* __restrict__ gate_up,  // [n, 2*ffn]
                                __half* __restrict__ y,              // [n, ffn]
                                int64_t n_groups, int64_t ffn_groups) {
  pdl_launch_dependents();  // the down GEMV may start streaming weights (it waits for us before reading y)
  pdl_wait();               // gate_up is the GEMV's output
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n_groups) return;
  const int64_t t = i / ffn_groups, j = i % ffn_groups;
  const __half* gate = gate_up + (t * 2 * ffn_groups + j) * 8;
  Float8 v = load_f16x8(gate);
  const Float8 up = load_f16x8(gate + ffn_groups * 8);
#pragma unroll
  for (int k = 0; k < 8; ++k) v.v[k] = silu(v.v[k]) * up.v[k];
  store_f16x8(y + i * 8, v);
}

// silu_mul with quantised output: one block per token row (its max |y| needs the whole row).
template <bool FP8>
__global__ void silu_mul_quant_kernel(const __half* __restrict__ gate_up,  // [n, 2*ffn]
                                      uint8_t* __restrict__ codes,         // [n, ffn]
                                      float* __restrict__ scales,          // [n]
                                      float static_scale, int ffn) {
  pdl_launch_dependents();
  pdl_wait();
  const size_t t = blockIdx.x;
  const __half* gate = gate_up + t * 2 * ffn;
  const auto values = [&](int g) {
    Float8 v = load_f16x8(gate + g * 8);
    const Float8 up = load_f16x8(gate + ffn + g * 8);
#pragma unroll
    for (int k = 0; k < 8; ++k) v.v[k] = silu(v.v[k]) * up.v[k];
    return v;
  };
  quantize_row_block<FP8>(values, ffn / 8, codes + t * ffn, scales + t, static_scale);
}

void check_args(int64_t count, std::initializer_list<const void*> pointers) {
  ROOFLM_CHECK(activation_f16_supported(count), "unsupported activation size: " + std::to_string(count));
  for (const void* p : pointers)
    ROOFLM_CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0, "activation kernels need 16-byte aligned pointers");
}

unsigned blocks_for(int64_t n_groups) { return unsigned((n_groups + kThreads - 1) / kThreads); }

}  // namespace

bool activation_f16_supported(int64_t count) { return count > 0 && count % 8 == 0; }

void silu_f16(const __half* g, __half* y, int64_t count, cudaStream_t stream) {
  check_args(count, {g, y});
  silu_kernel<<<blocks_for(count / 8), kThreads, 0, stream>>>(g, y, count / 8);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

void mul_f16(const __half* a, const __half* b, __half* y, int64_t count, cudaStream_t stream) {
  check_args(count, {a, b, y});
  mul_kernel<<<blocks_for(count / 8), kThreads, 0, stream>>>(a, b, y, count / 8);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

void silu_mul_f16(const __half* gate_up, __half* y, int64_t n, int64_t ffn, cudaStream_t stream) {
  check_args(ffn, {gate_up, y});
  ROOFLM_CHECK(n >= 0, "silu_mul n_tokens=" + std::to_string(n));
  if (n == 0) return;
  launch_with_pdl(silu_mul_kernel, blocks_for(n * ffn / 8), kThreads, 0, stream, gate_up, y, n * ffn / 8, ffn / 8);
}

void silu_mul_quant(const __half* gate_up, const QuantizedRows& out, int64_t n, int64_t ffn, cudaStream_t stream) {
  check_args(ffn, {gate_up, out.codes});
  ROOFLM_CHECK(n >= 0 && ffn <= INT32_MAX, "silu_mul n_tokens=" + std::to_string(n));
  ROOFLM_CHECK(out.dtype == DType::i8 || out.dtype == DType::f8e4m3, "quantised rows are int8 or fp8");
  ROOFLM_CHECK(out.static_scale >= 0.0f, "a static activation scale is > 0");
  if (n == 0) return;
  // One block per row: as many threads as the row has 8-element groups, up to 1024 (a decode step's
  // one row would otherwise sit on one SM with 256 threads).
  const unsigned threads = unsigned(std::min<int64_t>(kQuantRowMaxThreads, (ffn / 8 + 31) / 32 * 32));
  launch_with_pdl(out.dtype == DType::f8e4m3 ? silu_mul_quant_kernel<true> : silu_mul_quant_kernel<false>, unsigned(n),
                  threads, 0, stream, gate_up, out.codes, out.scales, out.static_scale, int(ffn));
}

}  // namespace rooflm
