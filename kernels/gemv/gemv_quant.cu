// Quantised decode GEMVs (see gemv_quant.h). Template constants: MODE (what x and W hold), N_TOKENS
// (1..8, every value instantiated), GROUP (W8A16 with group scales).
#include "kernels/gemv/gemv_quant.h"

#include <string>
#include <type_traits>

#include "common/error.h"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"
#include "kernels/gemv/gemv_common.cuh"
#include "kernels/quant/quant_math.cuh"

namespace rooflm {
namespace {

using gemv::warp_sum;

constexpr int kThreads = 128;
constexpr int kRows = 2;           // output rows per block
constexpr int kLoadsInFlight = 4;  // 16-byte weight vectors per thread per row issued before use

enum class Mode { w8a16, s8s8, e4m3 };

struct Params {
  const void* x;          // [N, in]: fp16 (w8a16) or codes
  const float* x_scales;  // [N] (s8s8, e4m3)
  const uint4* w;         // [out, in / 16] codes
  const void* w_scales;   // __half (int8) or float (e4m3)
  int scales_per_row;     // 0 (tensor), 1 (channel), in / group (group)
  int group_vecs;         // group size / 16 (GROUP)
  const __half* bias;     // [out] or nullptr
  __half* y;              // [N, out]
  int n_vec, out;
};

template <Mode M>
__device__ __forceinline__ float weight_scale(const Params& p, int row, int slot) {
  const int i = row * p.scales_per_row + slot;
  if constexpr (M == Mode::e4m3)
    return static_cast<const float*>(p.w_scales)[i];
  else
    return __half2float(static_cast<const __half*>(p.w_scales)[i]);
}

__device__ __forceinline__ void codes16_to_float(const uint4& v, float (&f)[16], bool fp8) {
  const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    float q[4];
    if (fp8)
      e4m3x4_to_float(words[k], q);
    else
      int8x4_to_float(words[k], q);
#pragma unroll
    for (int i = 0; i < 4; ++i) f[4 * k + i] = q[i];
  }
}

__device__ __forceinline__ void half16_to_float(const uint4* x, float (&f)[16]) {
#pragma unroll
  for (int k = 0; k < 2; ++k) {
    const uint4 raw = __ldg(x + k);
    const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float2 pair = __half22float2(h[i]);
      f[8 * k + 2 * i] = pair.x;
      f[8 * k + 2 * i + 1] = pair.y;
    }
  }
}

template <Mode M, int N_TOKENS, bool GROUP>
__global__ void __launch_bounds__(kThreads) gemv_quant_kernel(const Params p) {
  using Acc = std::conditional_t<M == Mode::s8s8, int, float>;
  const int row0 = blockIdx.x * kRows;
  Acc acc[kRows][N_TOKENS];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int t = 0; t < N_TOKENS; ++t) acc[r][t] = 0;

  uint4 wv[kLoadsInFlight][kRows];
  gemv::load_weights<kLoadsInFlight, kThreads>(wv, p.w, threadIdx.x, row0, p.n_vec, p.out);
  pdl_wait();  // x (and its scales) are the previous kernel's output
  pdl_launch_dependents();

  for (int v0 = threadIdx.x; v0 < p.n_vec; v0 += kThreads * kLoadsInFlight) {
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int v = v0 + u * kThreads;
      if (v >= p.n_vec) break;
      if constexpr (M == Mode::s8s8) {
        const uint4* x = static_cast<const uint4*>(p.x);
#pragma unroll
        for (int t = 0; t < N_TOKENS; ++t) {
          const uint4 xq = __ldg(x + size_t(t) * p.n_vec + v);
#pragma unroll
          for (int r = 0; r < kRows; ++r) {
            const uint4& wq = wv[u][r];
            int a = acc[r][t];
            a = __dp4a(int(wq.x), int(xq.x), a);
            a = __dp4a(int(wq.y), int(xq.y), a);
            a = __dp4a(int(wq.z), int(xq.z), a);
            a = __dp4a(int(wq.w), int(xq.w), a);
            acc[r][t] = a;
          }
        }
      } else {
        float wf[kRows][16];
#pragma unroll
        for (int r = 0; r < kRows; ++r) codes16_to_float(wv[u][r], wf[r], M == Mode::e4m3);
#pragma unroll
        for (int t = 0; t < N_TOKENS; ++t) {
          float xf[16];
          if constexpr (M == Mode::w8a16)
            half16_to_float(static_cast<const uint4*>(p.x) + (size_t(t) * p.n_vec + v) * 2, xf);
          else
            codes16_to_float(__ldg(static_cast<const uint4*>(p.x) + size_t(t) * p.n_vec + v), xf, true);
#pragma unroll
          for (int r = 0; r < kRows; ++r) {
            if constexpr (GROUP) {
              float part = 0.0f;
#pragma unroll
              for (int i = 0; i < 16; ++i) part = fmaf(wf[r][i], xf[i], part);
              acc[r][t] = fmaf(part, weight_scale<M>(p, min(row0 + r, p.out - 1), v / p.group_vecs), acc[r][t]);
            } else {
#pragma unroll
              for (int i = 0; i < 16; ++i) acc[r][t] = fmaf(wf[r][i], xf[i], acc[r][t]);
            }
          }
        }
      }
    }
    if (v0 + kThreads * kLoadsInFlight < p.n_vec)
      gemv::load_weights<kLoadsInFlight, kThreads>(wv, p.w, v0 + kThreads * kLoadsInFlight, row0, p.n_vec, p.out);
  }

  __shared__ Acc partial[kThreads / 32][kRows][N_TOKENS];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int t = 0; t < N_TOKENS; ++t) {
      const Acc sum = warp_sum(acc[r][t]);
      if (lane == 0) partial[warp][r][t] = sum;
    }
  __syncthreads();
  for (int i = threadIdx.x; i < kRows * N_TOKENS; i += kThreads) {
    const int r = i / N_TOKENS, t = i % N_TOKENS;
    const int row = row0 + r;
    if (row >= p.out) continue;
    Acc sum = 0;
#pragma unroll
    for (int k = 0; k < kThreads / 32; ++k) sum += partial[k][r][t];
    float y;
    if constexpr (M == Mode::w8a16)
      y = GROUP ? sum : sum * weight_scale<M>(p, row, 0);
    else  // left to right, no contraction into an FMA: the reference's rounding
      y = __fmul_rn(__fmul_rn(float(sum), p.x_scales[t]), weight_scale<M>(p, row, 0));
    if (p.bias != nullptr) y = __fadd_rn(y, __half2float(p.bias[row]));
    p.y[size_t(t) * p.out + row] = __float2half_rn(y);
  }
}

template <Mode M, int N_TOKENS>
void launch_tokens(const Params& p, bool group, cudaStream_t stream) {
  const unsigned blocks = unsigned((p.out + kRows - 1) / kRows);
  if constexpr (M == Mode::w8a16) {
    if (group) {
      launch_with_pdl(gemv_quant_kernel<M, N_TOKENS, true>, blocks, kThreads, 0, stream, p);
      return;
    }
  }
  launch_with_pdl(gemv_quant_kernel<M, N_TOKENS, false>, blocks, kThreads, 0, stream, p);
}

template <Mode M>
void launch(const Params& p, int64_t n, bool group, cudaStream_t stream) {
  switch (n) {
    case 1: launch_tokens<M, 1>(p, group, stream); break;
    case 2: launch_tokens<M, 2>(p, group, stream); break;
    case 3: launch_tokens<M, 3>(p, group, stream); break;
    case 4: launch_tokens<M, 4>(p, group, stream); break;
    case 5: launch_tokens<M, 5>(p, group, stream); break;
    case 6: launch_tokens<M, 6>(p, group, stream); break;
    case 7: launch_tokens<M, 7>(p, group, stream); break;
    case 8: launch_tokens<M, 8>(p, group, stream); break;
    default: ROOFLM_CHECK(false, "unsupported quantised gemv n_tokens: " + std::to_string(n));
  }
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

Params params(const void* x, const QuantWeightDevice& w, const __half* bias, __half* y, int64_t n) {
  ROOFLM_CHECK(gemv_quant_supported(n, w.cols, w.rows), "unsupported quantised gemv shape n=" + std::to_string(n) +
                                                             " in=" + std::to_string(w.cols) +
                                                             " out=" + std::to_string(w.rows));
  ROOFLM_CHECK(gemv::aligned16(x) && gemv::aligned16(w.codes), "quantised gemv needs 16-byte aligned x and codes");
  Params p{};
  p.x = x;
  p.w = reinterpret_cast<const uint4*>(w.codes);
  p.w_scales = w.scales;
  p.scales_per_row = int(w.scales_per_row());
  p.group_vecs = w.grain == WeightGrain::group ? int(w.group_size / 16) : 1;
  p.bias = bias;
  p.y = y;
  p.n_vec = int(w.cols / 16);
  p.out = int(w.rows);
  return p;
}

}  // namespace

bool gemv_quant_supported(int64_t n, int64_t in, int64_t out) {
  return n >= 1 && n <= kGemvQuantMaxTokens && in > 0 && in % 16 == 0 && in / 16 <= INT32_MAX / kGemvQuantMaxTokens &&
         out >= 1 && out <= INT32_MAX / 2;
}

void gemv_w8a16(const __half* x, const QuantWeightDevice& w, const __half* bias, __half* y, int64_t n,
                cudaStream_t stream) {
  ROOFLM_CHECK(w.dtype == DType::i8, "gemv_w8a16 takes int8 weights");
  const std::string problem = quant_weight_problem(w.dtype, w.grain, w.cols, w.group_size);
  ROOFLM_CHECK(problem.empty(), problem);
  launch<Mode::w8a16>(params(x, w, bias, y, n), n, w.grain == WeightGrain::group, stream);
}

void gemv_w8a8(const uint8_t* x_codes, const float* x_scales, const QuantWeightDevice& w, const __half* bias,
               __half* y, int64_t n, cudaStream_t stream) {
  ROOFLM_CHECK(w.grain != WeightGrain::group, "W8A8 and FP8 weights take tensor or channel scales");
  Params p = params(x_codes, w, bias, y, n);
  p.x_scales = x_scales;
  if (w.dtype == DType::f8e4m3)
    launch<Mode::e4m3>(p, n, false, stream);
  else
    launch<Mode::s8s8>(p, n, false, stream);
}

}  // namespace rooflm
