// Weight quantisation and dequantisation on the GPU (see quant_weight.h). Quantising runs three
// kernels: block maxima (one warp per block of elements sharing a scale, or per row for a tensor
// scale, then one block reducing the rows), the scales, and the codes (8 elements per thread).
#include "kernels/quant/quant_weight.h"

#include "common/error.h"
#include "kernels/common/cuda_check.h"
#include "kernels/quant/quant_math.cuh"

namespace rooflm {
namespace {

constexpr int kWarpsPerBlock = 8;

// amax[s] = max |w| over segment s (seg_len consecutive elements); bad = 1 when one is not finite.
__global__ void segment_absmax_kernel(const __half* __restrict__ w, int64_t n_segments, int64_t seg_len,
                                      float* __restrict__ amax, int* __restrict__ bad) {
  const int64_t s = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (s >= n_segments) return;
  const int lane = threadIdx.x % 32;
  const __half* seg = w + s * seg_len;
  float m = 0.0f;
  bool finite = true;
  for (int64_t i = lane; i < seg_len; i += 32) {
    const float a = fabsf(__half2float(seg[i]));
    finite = finite && a <= 65504.0f;  // false for inf and NaN
    m = nan_max(a, m);
  }
  m = warp_nan_max(m);
  if (!__all_sync(0xffffffffu, finite) && lane == 0) atomicExch(bad, 1);
  if (lane == 0) amax[s] = m;
}

// amax[0] = max of amax[0 .. n) (one block).
__global__ void reduce_absmax_kernel(float* __restrict__ amax, int64_t n) {
  __shared__ float warp_max[32];
  float m = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = nan_max(amax[i], m);
  m = warp_nan_max(m);
  if (threadIdx.x % 32 == 0) warp_max[threadIdx.x / 32] = m;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int k = 1; k < int(blockDim.x / 32); ++k) m = nan_max(warp_max[k], m);
    amax[0] = nan_max(warp_max[0], m);
  }
}

template <bool FP8>
__global__ void scales_kernel(const float* __restrict__ amax, int64_t n, void* __restrict__ scales,
                              int* __restrict__ bad) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  if constexpr (FP8) {
    static_cast<float*>(scales)[i] = __fdiv_rn(amax[i], kQuantMaxFp8);
  } else {
    const __half s = int8_weight_scale(amax[i]);
    if (!isfinite(__half2float(s))) atomicExch(bad, 1);
    static_cast<__half*>(scales)[i] = s;
  }
}

template <bool FP8>
__device__ __forceinline__ float scale_at(const void* scales, int64_t i) {
  if constexpr (FP8)
    return static_cast<const float*>(scales)[i];
  else
    return __half2float(static_cast<const __half*>(scales)[i]);
}

// Which scale element e of a [rows, cols] weight uses: tensor 0, channel e / cols, group
// (e / cols) * (cols / g) + (e % cols) / g = e / g (groups tile every row exactly).
__device__ __forceinline__ int64_t scale_index(WeightGrain grain, int64_t e, int64_t cols, int64_t group) {
  return grain == WeightGrain::tensor ? 0 : grain == WeightGrain::channel ? e / cols : e / group;
}

template <bool FP8>
__global__ void codes_kernel(const __half* __restrict__ w, int64_t n_vec8, int64_t cols, WeightGrain grain,
                             int64_t group, const void* __restrict__ scales, uint8_t* __restrict__ codes) {
  const int64_t v = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (v >= n_vec8) return;
  const int64_t e = v * 8;  // 8 elements never straddle a scale: cols and group are multiples of 16
  const float scale = scale_at<FP8>(scales, scale_index(grain, e, cols, group));
  const uint4 raw = *reinterpret_cast<const uint4*>(w + e);
  const __half* h = reinterpret_cast<const __half*>(&raw);
  uint32_t out[2] = {0, 0};
#pragma unroll
  for (int i = 0; i < 8; ++i) out[i / 4] |= uint32_t(quantize_code<FP8>(__half2float(h[i]), scale)) << (8 * (i % 4));
  *reinterpret_cast<uint2*>(codes + e) = make_uint2(out[0], out[1]);
}

__global__ void dequantize_kernel(const uint8_t* __restrict__ codes, int64_t n_vec8, int64_t cols, WeightGrain grain,
                                  int64_t group, const __half* __restrict__ scales, __half* __restrict__ y) {
  const int64_t v = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (v >= n_vec8) return;
  const int64_t e = v * 8;
  const float scale = __half2float(scales[scale_index(grain, e, cols, group)]);
  const uint2 raw = *reinterpret_cast<const uint2*>(codes + e);
  float f[8];
  int8x4_to_float(raw.x, *reinterpret_cast<float(*)[4]>(&f[0]));
  int8x4_to_float(raw.y, *reinterpret_cast<float(*)[4]>(&f[4]));
  uint4 out;
  __half2* h = reinterpret_cast<__half2*>(&out);
#pragma unroll
  for (int i = 0; i < 4; ++i) h[i] = __floats2half2_rn(f[2 * i] * scale, f[2 * i + 1] * scale);
  *reinterpret_cast<uint4*>(y + e) = out;
}

unsigned blocks_for(int64_t n, int threads) { return unsigned((n + threads - 1) / threads); }

}  // namespace

QuantWeightDevice QuantWeightDevice::rows_from(int64_t begin, int64_t n) const {
  ROOFLM_CHECK(begin >= 0 && n >= 0 && begin + n <= rows, "quantised weight rows outside the tensor");
  QuantWeightDevice v = *this;
  v.rows = n;
  v.codes = codes + begin * cols;
  const size_t scale_bytes = dtype == DType::i8 ? 2 : 4;
  v.scales = static_cast<const char*>(scales) + size_t(begin * scales_per_row()) * scale_bytes;
  return v;
}

int64_t weight_scale_count(WeightGrain grain, int64_t rows, int64_t cols, int64_t group_size) {
  switch (grain) {
    case WeightGrain::tensor: return 1;
    case WeightGrain::channel: return rows;
    case WeightGrain::group: return rows * (cols / group_size);
  }
  return 0;
}

int64_t weight_scale_bytes(DType dtype, WeightGrain grain, int64_t rows, int64_t cols, int64_t group_size) {
  return weight_scale_count(grain, rows, cols, group_size) * (dtype == DType::i8 ? 2 : 4);
}

std::string quant_weight_problem(DType dtype, WeightGrain grain, int64_t cols, int64_t group_size) {
  if (dtype != DType::i8 && dtype != DType::f8e4m3)
    return "quantised weights are int8 or fp8, not " + std::string(dtype_name(dtype));
  if (cols <= 0 || cols % 16 != 0)
    return "quantised weights need rows of a positive multiple of 16 inputs, not " + std::to_string(cols);
  if (grain == WeightGrain::group) {
    if (dtype != DType::i8) return "group scales are for int8 weight-only quantisation";
    if (group_size <= 0 || group_size % 16 != 0 || cols % group_size != 0)
      return "the GPU kernels need a weight group size that is a multiple of 16 and divides " + std::to_string(cols) +
             " inputs, not " + std::to_string(group_size);
  }
  return {};
}

bool quantize_weight_f16(const __half* w, int64_t rows, int64_t cols, DType dtype, WeightGrain grain,
                         int64_t group_size, uint8_t* codes, void* scales, cudaStream_t stream) {
  const std::string problem = quant_weight_problem(dtype, grain, cols, group_size);
  ROOFLM_CHECK(problem.empty(), problem);
  const bool fp8 = dtype == DType::f8e4m3;
  const int64_t seg_len = grain == WeightGrain::group ? group_size : cols;
  const int64_t n_segments = rows * cols / seg_len;
  float* amax = nullptr;
  int* bad = nullptr;
  ROOFLM_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&amax), size_t(n_segments) * 4, stream));
  ROOFLM_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&bad), 4, stream));
  ROOFLM_CUDA_CHECK(cudaMemsetAsync(bad, 0, 4, stream));
  segment_absmax_kernel<<<blocks_for(n_segments, kWarpsPerBlock), kWarpsPerBlock * 32, 0, stream>>>(
      w, n_segments, seg_len, amax, bad);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  if (grain == WeightGrain::tensor) {
    reduce_absmax_kernel<<<1, 1024, 0, stream>>>(amax, n_segments);
    ROOFLM_CUDA_CHECK(cudaGetLastError());
  }
  const int64_t n_scales = weight_scale_count(grain, rows, cols, group_size);
  if (fp8)
    scales_kernel<true><<<blocks_for(n_scales, 256), 256, 0, stream>>>(amax, n_scales, scales, bad);
  else
    scales_kernel<false><<<blocks_for(n_scales, 256), 256, 0, stream>>>(amax, n_scales, scales, bad);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  const int64_t n_vec8 = rows * cols / 8;
  if (fp8)
    codes_kernel<true><<<blocks_for(n_vec8, 256), 256, 0, stream>>>(w, n_vec8, cols, grain, group_size, scales, codes);
  else
    codes_kernel<false><<<blocks_for(n_vec8, 256), 256, 0, stream>>>(w, n_vec8, cols, grain, group_size, scales, codes);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  int bad_host = 0;
  ROOFLM_CUDA_CHECK(cudaMemcpyAsync(&bad_host, bad, 4, cudaMemcpyDeviceToHost, stream));
  ROOFLM_CUDA_CHECK(cudaFreeAsync(amax, stream));
  ROOFLM_CUDA_CHECK(cudaFreeAsync(bad, stream));
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream));
  return bad_host == 0;
}

void dequantize_weight_f16(const QuantWeightDevice& w, __half* y, cudaStream_t stream) {
  ROOFLM_CHECK(w.dtype == DType::i8, "dequantize_weight_f16 takes int8 weights");
  const std::string problem = quant_weight_problem(w.dtype, w.grain, w.cols, w.group_size);
  ROOFLM_CHECK(problem.empty(), problem);
  const int64_t n_vec8 = w.rows * w.cols / 8;
  if (n_vec8 == 0) return;
  dequantize_kernel<<<blocks_for(n_vec8, 256), 256, 0, stream>>>(w.codes, n_vec8, w.cols, w.grain, w.group_size,
                                                                  static_cast<const __half*>(w.scales), y);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace rooflm
