// Decode GEMV / skinny GEMM y = x W^T (+ bias) for n = 1..16 tokens (see gemv_f16.h).
// Template constants: N_TOKENS (1..16, every value instantiated: decode batches take any size),
// ROWS (output rows per block: 1, 2, 4 - the tuning axis kbench sweeps), SILU_MUL (the
// gate_up_proj epilogue silu(gate) * up).
#include "kernels/gemv/gemv_f16.h"

#include <algorithm>
#include <string>

#include "common/error.h"
#include "kernels/common/cuda_check.h"
#include "kernels/activation/vec8.cuh"
#include "kernels/common/pdl.cuh"
#include "kernels/gemv/gemv_common.cuh"

namespace rooflm {
namespace {

using gemv::warp_sum;

constexpr int kThreads = 128;     // 4 warps split the in-dimension of the block's rows
constexpr int kLoadsInFlight = 4;  // 16-byte weight loads per thread per row issued before use

__device__ __forceinline__ void to_float8(const uint4& v, float (&f)[8]) {
  const __half2* h = reinterpret_cast<const __half2*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 pair = __half22float2(h[i]);
    f[2 * i] = pair.x;
    f[2 * i + 1] = pair.y;
  }
}

// SILU_MUL: w is [gate rows; up rows] ([2 * out, n_vec]); the block's ROWS output rows need gate
// rows row0.. and up rows out + row0.., so it streams 2 * ROWS weight rows and stores
// silu(gate) * up, each product rounded to fp16 first, as the unfused pair (the GEMV writing
// [gate | up] in fp16, then silu_mul_f16) computes it: the same bits.
template <int N_TOKENS, int ROWS, bool SILU_MUL>
__global__ void __launch_bounds__(kThreads)
    gemv_xwt_f16_kernel(const uint4* __restrict__ x,  // [N_TOKENS, n_vec] (8 halves per uint4)
                        const uint4* __restrict__ w,  // [out, n_vec]; SILU_MUL: [2 * out, n_vec]
                        const __half* __restrict__ bias,  // [out] or nullptr (never with SILU_MUL)
                        __half* __restrict__ y,       // [N_TOKENS, out]
                        int n_vec, int out) {
  constexpr int W_ROWS = SILU_MUL ? 2 * ROWS : ROWS;  // weight rows streamed per block
  const int row0 = blockIdx.x * ROWS;
  int rows[W_ROWS];  // rows past `out` re-read the last one; their results are never stored
#pragma unroll
  for (int r = 0; r < ROWS; ++r) {
    rows[r] = min(row0 + r, out - 1);
    if constexpr (SILU_MUL) rows[ROWS + r] = out + rows[r];
  }
  float acc[W_ROWS][N_TOKENS];
#pragma unroll
  for (int r = 0; r < W_ROWS; ++r)
#pragma unroll
    for (int t = 0; t < N_TOKENS; ++t) acc[r][t] = 0.0f;

  uint4 wv[kLoadsInFlight][W_ROWS];
  gemv::load_weight_rows<kLoadsInFlight, kThreads>(wv, w, threadIdx.x, rows, n_vec);
  // Programmatic dependent launch: the loads above read only weights, which no kernel before this
  // one writes, so they overlap the previous kernel's tail. x and y are touched only after the
  // previous grid has completed and its writes are visible.
  pdl_wait();
  pdl_launch_dependents();

  for (int v0 = threadIdx.x; v0 < n_vec; v0 += kThreads * kLoadsInFlight) {
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int v = v0 + u * kThreads;
      if (v >= n_vec) break;
      float wf[W_ROWS][8];
#pragma unroll
      for (int r = 0; r < W_ROWS; ++r) to_float8(wv[u][r], wf[r]);
#pragma unroll
      for (int t = 0; t < N_TOKENS; ++t) {
        float xf[8];
        to_float8(__ldg(x + size_t(t) * n_vec + v), xf);
#pragma unroll
        for (int r = 0; r < W_ROWS; ++r)
#pragma unroll
          for (int i = 0; i < 8; ++i) acc[r][t] = fmaf(wf[r][i], xf[i], acc[r][t]);
      }
    }
    if (v0 + kThreads * kLoadsInFlight < n_vec)
      gemv::load_weight_rows<kLoadsInFlight, kThreads>(wv, w, v0 + kThreads * kLoadsInFlight, rows, n_vec);
  }

  __shared__ float partial[kThreads / 32][W_ROWS][N_TOKENS];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
  for (int r = 0; r < W_ROWS; ++r)
#pragma unroll
    for (int t = 0; t < N_TOKENS; ++t) {
      const float sum = warp_sum(acc[r][t]);
      if (lane == 0) partial[warp][r][t] = sum;
    }
  __syncthreads();
  for (int i = threadIdx.x; i < ROWS * N_TOKENS; i += kThreads) {
    const int r = i / N_TOKENS, t = i % N_TOKENS;
    const int row = row0 + r;
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < kThreads / 32; ++k) sum += partial[k][r][t];
    if (row >= out) continue;
    if constexpr (SILU_MUL) {
      float up = 0.0f;
#pragma unroll
      for (int k = 0; k < kThreads / 32; ++k) up += partial[k][ROWS + r][t];
      const float g = __half2float(__float2half_rn(sum)), u = __half2float(__float2half_rn(up));
      y[size_t(t) * out + row] = __float2half_rn(silu(g) * u);
    } else {
      if (bias != nullptr) sum += __half2float(bias[row]);
      y[size_t(t) * out + row] = __float2half_rn(sum);
    }
  }
}

template <int N_TOKENS, bool SILU_MUL>
void launch_tokens(const __half* x, const __half* w, const __half* bias, __half* y, int64_t in, int64_t out,
                   int rows, cudaStream_t stream) {
  const int n_vec = int(in / 8);
  const auto* xv = reinterpret_cast<const uint4*>(x);
  const auto* wv = reinterpret_cast<const uint4*>(w);
  const unsigned blocks = unsigned((out + rows - 1) / rows);
  switch (rows) {
    case 1: launch_with_pdl(gemv_xwt_f16_kernel<N_TOKENS, 1, SILU_MUL>, blocks, kThreads, 0, stream, xv, wv, bias, y, n_vec, int(out)); break;
    case 2: launch_with_pdl(gemv_xwt_f16_kernel<N_TOKENS, 2, SILU_MUL>, blocks, kThreads, 0, stream, xv, wv, bias, y, n_vec, int(out)); break;
    case 4: launch_with_pdl(gemv_xwt_f16_kernel<N_TOKENS, 4, SILU_MUL>, blocks, kThreads, 0, stream, xv, wv, bias, y, n_vec, int(out)); break;
    default: ROOFLM_CHECK(false, "unsupported gemv rows_per_block: " + std::to_string(rows));
  }
}

template <bool SILU_MUL>
void launch_n(const __half* x, const __half* w, const __half* bias, __half* y, int64_t n, int64_t in, int64_t out,
              int rows, cudaStream_t stream) {
  switch (n) {
    case 1: launch_tokens<1, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 2: launch_tokens<2, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 3: launch_tokens<3, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 4: launch_tokens<4, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 5: launch_tokens<5, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 6: launch_tokens<6, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 7: launch_tokens<7, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 8: launch_tokens<8, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 9: launch_tokens<9, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 10: launch_tokens<10, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 11: launch_tokens<11, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 12: launch_tokens<12, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 13: launch_tokens<13, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 14: launch_tokens<14, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 15: launch_tokens<15, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    case 16: launch_tokens<16, SILU_MUL>(x, w, bias, y, in, out, rows, stream); break;
    default: ROOFLM_CHECK(false, "unsupported gemv n_tokens: " + std::to_string(n));
  }
}

}  // namespace

bool gemv_xwt_f16_supported(int64_t n, int64_t in, int64_t out) {
  return n >= 1 && n <= kGemvMaxTokens && in > 0 && in % 8 == 0 && in / 8 <= INT32_MAX / kGemvMaxTokens &&
         out >= 1 && out <= INT32_MAX;
}

// From the H100 sweep (kbench, 2026-11-24): one row per block streams best at n <= 2; at n = 3..8
// four rows amortise the x loads and the reduction; beyond that two rows keep registers in check.
int gemv_xwt_f16_default_rows(int64_t n) { return n <= 2 ? 1 : n <= 8 ? 4 : 2; }

void gemv_xwt_f16(const __half* x, const __half* w, const __half* bias, __half* y, int64_t n, int64_t in,
                  int64_t out, cudaStream_t stream) {
  gemv_xwt_f16_rows(x, w, bias, y, n, in, out, gemv_xwt_f16_default_rows(n), stream);
}

void gemv_xwt_f16_rows(const __half* x, const __half* w, const __half* bias, __half* y, int64_t n, int64_t in,
                       int64_t out, int rows_per_block, cudaStream_t stream) {
  ROOFLM_CHECK(gemv_xwt_f16_supported(n, in, out), "unsupported gemv shape n=" + std::to_string(n) +
                                                       " in=" + std::to_string(in) + " out=" + std::to_string(out));
  ROOFLM_CHECK(gemv::aligned16(x) && gemv::aligned16(w), "gemv needs 16-byte aligned x and w");
  launch_n<false>(x, w, bias, y, n, in, out, rows_per_block, stream);
}

// Two weight rows (gate, up) per output row: half the rows per block of the plain GEMV streams
// the same bytes per block.
int gemv_xwt_f16_silu_mul_default_rows(int64_t n) { return std::max(1, gemv_xwt_f16_default_rows(n) / 2); }

void gemv_xwt_f16_silu_mul(const __half* x, const __half* w_gate_up, __half* y, int64_t n, int64_t in, int64_t out,
                           cudaStream_t stream) {
  gemv_xwt_f16_silu_mul_rows(x, w_gate_up, y, n, in, out, gemv_xwt_f16_silu_mul_default_rows(n), stream);
}

void gemv_xwt_f16_silu_mul_rows(const __half* x, const __half* w_gate_up, __half* y, int64_t n, int64_t in,
                                int64_t out, int rows_per_block, cudaStream_t stream) {
  ROOFLM_CHECK(gemv_xwt_f16_supported(n, in, 2 * out), "unsupported gemv silu_mul shape n=" + std::to_string(n) +
                                                           " in=" + std::to_string(in) + " out=" + std::to_string(out));
  ROOFLM_CHECK(gemv::aligned16(x) && gemv::aligned16(w_gate_up), "gemv needs 16-byte aligned x and w");
  launch_n<true>(x, w_gate_up, nullptr, y, n, in, out, rows_per_block, stream);
}

}  // namespace rooflm
