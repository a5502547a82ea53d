// Quantised decode-batch GEMMs on mma.sync (see gemm_quant_mma.h). Template constants: MODE (what x
// and W hold), N_TILES (8-token MMA tiles per block, 1..4).
#include "kernels/gemm/gemm_quant_mma.h"

#include <string>
#include <type_traits>

#include "common/error.h"
#include "kernels/attention/ptx.cuh"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"
#include "kernels/gemv/gemv_common.cuh"
#include "kernels/quant/quant_math.cuh"

namespace rooflm {
namespace {

namespace ptx = attn::ptx;

constexpr int kWarps = 8;
constexpr int kThreads = 32 * kWarps;
constexpr int kMTiles = 2;             // 16-row MMA tiles per block
constexpr int kRows = 16 * kMTiles;    // output rows per block
constexpr int kStep = 128;             // inputs per warp step: 32 per thread (lane % 4) and row
constexpr int kMaxNTiles = 4;          // 8-token MMA tiles per block
constexpr int kBlockTokens = 8 * kMaxNTiles;

enum class Mode { w8a16, s8s8, e4m3 };

template <Mode M>
using Acc = std::conditional_t<M == Mode::s8s8, int, float>;

// 16-byte vectors of x per token, thread and step: 32 fp16 or 32 codes.
template <Mode M>
inline constexpr int kXVecs = M == Mode::w8a16 ? 4 : 2;

struct Params {
  const uint8_t* x;       // [n, in]: fp16 (w8a16) or codes
  const float* x_scales;  // [n] (s8s8, e4m3)
  const uint8_t* w;       // [out, in] codes
  const void* w_scales;   // __half (int8) or float (e4m3)
  int scales_per_row;     // 0 (tensor), 1 (channel), in / group (group)
  int group_size;         // in for tensor and channel scales
  const __half* bias;     // [out] or nullptr
  __half* y;              // [n, out]
  int n, in, out;
};

// Row of this lane's fragment half h (0: row g, 1: row g + 8) of m-tile mt.
__device__ __forceinline__ int lane_row(int row0, int mt, int h, int lane) { return row0 + 16 * mt + 8 * h + lane / 4; }

// This lane's 32 codes of each of its 2 x kMTiles rows at input k0 (rows past `out` re-read the
// last row; their results are never stored).
struct WeightStep {
  uint4 v[kMTiles][2][2];
};

__device__ __forceinline__ void load_weight_step(WeightStep& s, const Params& p, int row0, int k0, int lane) {
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = min(lane_row(row0, mt, h, lane), p.out - 1);
      const uint4* src = reinterpret_cast<const uint4*>(p.w + size_t(row) * p.in + k0 + 32 * (lane % 4));
      s.v[mt][h][0] = gemv::load_streaming(src);
      s.v[mt][h][1] = gemv::load_streaming(src + 1);
    }
}

__device__ __forceinline__ uint32_t word(const uint4 (&v)[2], int i) { return (&v[i / 4].x)[i % 4]; }

// This lane's 32 inputs of token tok0 + 8 nt + g (tokens past n re-read the last one).
template <Mode M, int N_TILES>
__device__ __forceinline__ void load_x_step(uint4 (&xv)[N_TILES][kXVecs<M>], const Params& p, int tok0, int k0,
                                            int lane) {
  constexpr int kBytes = M == Mode::w8a16 ? 2 : 1;
#pragma unroll
  for (int nt = 0; nt < N_TILES; ++nt) {
    const int tok = min(tok0 + 8 * nt + lane / 4, p.n - 1);
    const uint4* src = reinterpret_cast<const uint4*>(p.x + (size_t(tok) * p.in + k0 + 32 * (lane % 4)) * kBytes);
#pragma unroll
    for (int i = 0; i < kXVecs<M>; ++i) xv[nt][i] = __ldg(src + i);
  }
}

// W8A16 scale of a lane row at input k, as a broadcast fp16 pair.
__device__ __forceinline__ __half2 w8a16_scale(const Params& p, int row, int k) {
  const __half s = static_cast<const __half*>(p.w_scales)[size_t(min(row, p.out - 1)) * p.scales_per_row + k / p.group_size];
  return __half2half2(s);
}

__device__ __forceinline__ uint32_t mul_half2(uint32_t a, __half2 b) {
  const __half2 r = __hmul2(*reinterpret_cast<const __half2*>(&a), b);
  return *reinterpret_cast<const uint32_t*>(&r);
}

// One step: acc[mt][nt] += W[rows of mt, k0 .. k0 + 127] . x[tokens of nt, same inputs].
template <Mode M, int N_TILES>
__device__ __forceinline__ void mma_step(Acc<M> (&acc)[kMTiles][N_TILES][4], const WeightStep& w,
                                         const uint4 (&xv)[N_TILES][kXVecs<M>], const Params& p, int row0, int k0,
                                         int lane) {
  if constexpr (M == Mode::w8a16) {
    __half2 scale[kMTiles][2];
#pragma unroll
    for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
      for (int h = 0; h < 2; ++h) scale[mt][h] = w8a16_scale(p, lane_row(row0, mt, h, lane), k0 + 32 * (lane % 4));
#pragma unroll
    for (int j = 0; j < 8; ++j) {  // codes 4j .. 4j + 3 of the lane's 32: logical k 2t, 2t+1 and 8+2t, 8+2t+1
      uint32_t a[kMTiles][4];
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt) {
        const uint2 r0 = widen4_f16<DType::i8>(word(w.v[mt][0], j)), r1 = widen4_f16<DType::i8>(word(w.v[mt][1], j));
        a[mt][0] = mul_half2(r0.x, scale[mt][0]);
        a[mt][1] = mul_half2(r1.x, scale[mt][1]);
        a[mt][2] = mul_half2(r0.y, scale[mt][0]);
        a[mt][3] = mul_half2(r1.y, scale[mt][1]);
      }
#pragma unroll
      for (int nt = 0; nt < N_TILES; ++nt) {
        const uint32_t b0 = (&xv[nt][j / 2].x)[2 * (j % 2)], b1 = (&xv[nt][j / 2].x)[2 * (j % 2) + 1];
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) ptx::mma_m16n8k16(acc[mt][nt], a[mt], b0, b1);
      }
    }
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) {  // codes 8j .. 8j + 7: logical k 4t..4t+3 and 16+4t..16+4t+3
      uint32_t a[kMTiles][4];
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt) {
        a[mt][0] = word(w.v[mt][0], 2 * j);
        a[mt][1] = word(w.v[mt][1], 2 * j);
        a[mt][2] = word(w.v[mt][0], 2 * j + 1);
        a[mt][3] = word(w.v[mt][1], 2 * j + 1);
      }
#pragma unroll
      for (int nt = 0; nt < N_TILES; ++nt) {
        const uint32_t b0 = word(xv[nt], 2 * j), b1 = word(xv[nt], 2 * j + 1);
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
          if constexpr (M == Mode::s8s8)
            ptx::mma_m16n8k32_s8(acc[mt][nt], a[mt], b0, b1);
          else
            ptx::mma_m16n8k32_e4m3(acc[mt][nt], a[mt], b0, b1);
        }
      }
    }
  }
}

template <Mode M>
__device__ __forceinline__ float epilogue(const Params& p, Acc<M> sum, int row, int tok) {
  float y;
  if constexpr (M == Mode::w8a16) {
    y = sum;
  } else {  // left to right, no contraction into an FMA: the reference's rounding
    const int i = row * p.scales_per_row;
    const float w_scale = M == Mode::e4m3 ? static_cast<const float*>(p.w_scales)[i]
                                          : __half2float(static_cast<const __half*>(p.w_scales)[i]);
    y = __fmul_rn(__fmul_rn(float(sum), p.x_scales[tok]), w_scale);
  }
  return p.bias != nullptr ? __fadd_rn(y, __half2float(p.bias[row])) : y;
}

template <Mode M, int N_TILES>
__global__ void __launch_bounds__(kThreads, 1) gemm_quant_mma_kernel(const Params p) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = blockIdx.x * kRows, tok0 = blockIdx.y * kBlockTokens;
  const int steps = p.in / kStep;
  Acc<M> acc[kMTiles][N_TILES][4];
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
    for (int nt = 0; nt < N_TILES; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[mt][nt][i] = 0;

  WeightStep w;
  if (warp < steps) load_weight_step(w, p, row0, warp * kStep, lane);
  pdl_wait();  // x (and its scales) are the previous kernel's output
  pdl_launch_dependents();
  for (int step = warp; step < steps; step += kWarps) {
    const int k0 = step * kStep;
    WeightStep next;
    if (step + kWarps < steps) load_weight_step(next, p, row0, k0 + kWarps * kStep, lane);
    uint4 xv[N_TILES][kXVecs<M>];
    load_x_step<M, N_TILES>(xv, p, tok0, k0, lane);
    mma_step<M, N_TILES>(acc, w, xv, p, row0, k0, lane);
    w = next;
  }

  // The warps' partial sums, added in warp order. C fragment: c0, c1 (row g, tokens 2t, 2t+1), c2, c3 (row g+8).
  __shared__ Acc<M> partial[kWarps][kRows][kBlockTokens + 1];
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
    for (int nt = 0; nt < N_TILES; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i)
        partial[warp][16 * mt + 8 * (i / 2) + lane / 4][8 * nt + 2 * (lane % 4) + i % 2] = acc[mt][nt][i];
  __syncthreads();
  for (int idx = threadIdx.x; idx < kRows * 8 * N_TILES; idx += kThreads) {
    const int r = idx % kRows, t = idx / kRows;
    const int row = row0 + r, tok = tok0 + t;
    if (row >= p.out || tok >= p.n) continue;
    Acc<M> sum = 0;
#pragma unroll
    for (int k = 0; k < kWarps; ++k) sum += partial[k][r][t];
    p.y[size_t(tok) * p.out + row] = __float2half_rn(epilogue<M>(p, sum, row, tok));
  }
}

template <Mode M, int N_TILES>
void launch_tiles(const Params& p, cudaStream_t stream) {
  const dim3 grid(unsigned((p.out + kRows - 1) / kRows), unsigned((p.n + kBlockTokens - 1) / kBlockTokens));
  launch_with_pdl(gemm_quant_mma_kernel<M, N_TILES>, grid, kThreads, 0, stream, p);
}

template <Mode M>
void launch(const Params& p, cudaStream_t stream) {
  switch (p.n >= kBlockTokens ? kMaxNTiles : (p.n + 7) / 8) {
    case 1: launch_tiles<M, 1>(p, stream); break;
    case 2: launch_tiles<M, 2>(p, stream); break;
    case 3: launch_tiles<M, 3>(p, stream); break;
    default: launch_tiles<M, 4>(p, stream); break;
  }
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

Params params(const void* x, const QuantWeightDevice& w, const __half* bias, __half* y, int64_t n) {
  ROOFLM_CHECK(gemm_quant_mma_supported(n, w.cols, w.rows, w.grain, w.group_size),
               "unsupported quantised mma GEMM shape n=" + std::to_string(n) + " in=" + std::to_string(w.cols) +
                   " out=" + std::to_string(w.rows));
  ROOFLM_CHECK(gemv::aligned16(x) && gemv::aligned16(w.codes), "quantised mma GEMM needs 16-byte aligned x and codes");
  Params p{};
  p.x = static_cast<const uint8_t*>(x);
  p.w = w.codes;
  p.w_scales = w.scales;
  p.scales_per_row = int(w.scales_per_row());
  p.group_size = w.grain == WeightGrain::group ? int(w.group_size) : int(w.cols);
  p.bias = bias;
  p.y = y;
  p.n = int(n);
  p.in = int(w.cols);
  p.out = int(w.rows);
  return p;
}

}  // namespace

bool gemm_quant_mma_supported(int64_t n, int64_t in, int64_t out, WeightGrain grain, int64_t group_size) {
  constexpr int64_t kMaxBlocksY = 65535;
  return n >= 1 && n <= kMaxBlocksY * kBlockTokens && in > 0 && in % kStep == 0 && in <= INT32_MAX / 2 &&
         out >= 1 && out <= INT32_MAX / 2 &&
         (grain != WeightGrain::group || (group_size > 0 && group_size % 32 == 0));
}

void gemm_mma_w8a16(const __half* x, const QuantWeightDevice& w, const __half* bias, __half* y, int64_t n,
                    cudaStream_t stream) {
  ROOFLM_CHECK(w.dtype == DType::i8, "gemm_mma_w8a16 takes int8 weights");
  const std::string problem = quant_weight_problem(w.dtype, w.grain, w.cols, w.group_size);
  ROOFLM_CHECK(problem.empty(), problem);
  launch<Mode::w8a16>(params(x, w, bias, y, n), stream);
}

void gemm_mma_w8a8(const uint8_t* x_codes, const float* x_scales, const QuantWeightDevice& w, const __half* bias,
                   __half* y, int64_t n, cudaStream_t stream) {
  ROOFLM_CHECK(w.grain != WeightGrain::group, "W8A8 and FP8 weights take tensor or channel scales");
  Params p = params(x_codes, w, bias, y, n);
  p.x_scales = x_scales;
  if (w.dtype == DType::f8e4m3)
    launch<Mode::e4m3>(p, stream);
  else
    launch<Mode::s8s8>(p, stream);
}

}  // namespace rooflm
