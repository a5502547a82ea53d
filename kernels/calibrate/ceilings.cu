// measure_ceilings(): the machine's own roofline ceilings (see ceilings.h).
#include "kernels/calibrate/ceilings.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <functional>

#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

// Sum of every 16-byte word; written only if impossible so the loads cannot be optimised away.
__global__ void read_stream_kernel(const int4* __restrict__ src, int64_t n, int* __restrict__ sink) {
  int acc = 0;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {  // four independent loads in flight per thread
    const int4 a = src[i], b = src[i + stride], c = src[i + 2 * stride], d = src[i + 3 * stride];
    acc ^= a.x ^ a.y ^ a.z ^ a.w ^ b.x ^ b.y ^ b.z ^ b.w ^ c.x ^ c.y ^ c.z ^ c.w ^ d.x ^ d.y ^ d.z ^ d.w;
  }
  for (; i < n; i += stride) {
    const int4 a = src[i];
    acc ^= a.x ^ a.y ^ a.z ^ a.w;
  }
  if (acc == 0x7fffffff) sink[0] = acc;
}

// Deterministic pseudo-random fill (never zeros: timing zeros flatters tensor cores).
// Each byte as e4m3 (S.EEEE.MMM): exponent bits 3 and 0 cleared, so |value| < 1 and never NaN.
__global__ void clear_nan_e4m3_kernel(uint32_t* p, int64_t n_words) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n_words; i += int64_t(gridDim.x) * blockDim.x)
    p[i] &= 0xB7B7B7B7u;
}

__global__ void fill_random_kernel(uint32_t* p, int64_t n_words, uint32_t seed) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n_words; i += int64_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 2654435761u ^ seed;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    p[i] = x;
  }
}

__global__ void fill_half_kernel(__half* p, int64_t n, uint32_t seed) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 2654435761u ^ seed;
    x ^= x >> 15;
    x *= 0x2c1b3c6du;
    x ^= x >> 12;
    p[i] = __float2half(float(int(x % 2001u) - 1000) / 1000.0f);  // uniform in [-1, 1]
  }
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Times `body` `reps` times after 3 warm-ups; returns seconds per repetition.
std::vector<double> time_reps(int reps, const std::function<void()>& body) {
  cudaEvent_t a, b;
  ROOFLM_CUDA_CHECK(cudaEventCreate(&a));
  ROOFLM_CUDA_CHECK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) body();
  std::vector<double> out;
  for (int i = 0; i < reps; ++i) {
    ROOFLM_CUDA_CHECK(cudaEventRecord(a));
    body();
    ROOFLM_CUDA_CHECK(cudaEventRecord(b));
    ROOFLM_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    ROOFLM_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    out.push_back(ms / 1e3);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return out;
}

CeilingSample make_sample(std::string name, std::string unit, std::string shape, double work,
                          const std::vector<double>& seconds) {
  CeilingSample s{std::move(name), std::move(unit), std::move(shape), {}, 0};
  for (double t : seconds) s.samples.push_back(work / t);
  s.median = median_of(s.samples);
  return s;
}

int sm_count() {
  int dev = 0, sms = 0;
  ROOFLM_CUDA_CHECK(cudaGetDevice(&dev));
  ROOFLM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  return sms;
}

CeilingSample measure_read(const CeilingOptions& o) {
  void* buf = nullptr;
  int* sink = nullptr;
  ROOFLM_CUDA_CHECK(cudaMalloc(&buf, size_t(o.stream_bytes)));
  ROOFLM_CUDA_CHECK(cudaMalloc(&sink, sizeof(int)));
  fill_random_kernel<<<1024, 256>>>(static_cast<uint32_t*>(buf), o.stream_bytes / 4, 1);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  const int64_t n = o.stream_bytes / 16;
  const int blocks = sm_count() * 8;
  const auto secs = time_reps(o.reps, [&] {
    read_stream_kernel<<<blocks, 512>>>(static_cast<const int4*>(buf), n, sink);
    ROOFLM_CUDA_CHECK(cudaGetLastError());
  });
  cudaFree(buf);
  cudaFree(sink);
  return make_sample("read_bandwidth", "bytes/s", std::to_string(o.stream_bytes >> 20) + " MiB, 16-byte loads",
                     double(o.stream_bytes), secs);
}

CeilingSample measure_copy(const CeilingOptions& o) {
  void *src = nullptr, *dst = nullptr;
  ROOFLM_CUDA_CHECK(cudaMalloc(&src, size_t(o.copy_bytes)));
  ROOFLM_CUDA_CHECK(cudaMalloc(&dst, size_t(o.copy_bytes)));
  fill_random_kernel<<<1024, 256>>>(static_cast<uint32_t*>(src), o.copy_bytes / 4, 2);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  const auto secs = time_reps(o.reps, [&] {
    ROOFLM_CUDA_CHECK(cudaMemcpyAsync(dst, src, size_t(o.copy_bytes), cudaMemcpyDeviceToDevice));
  });
  cudaFree(src);
  cudaFree(dst);
  return make_sample("d2d_copy", "bytes/s", std::to_string(o.copy_bytes >> 20) + " MiB, read + write counted",
                     2.0 * double(o.copy_bytes), secs);
}

CeilingSample measure_gemm_fp16(const CeilingOptions& o) {
  const int64_t n = o.gemm_n;
  __half *a, *b, *c;
  ROOFLM_CUDA_CHECK(cudaMalloc(&a, size_t(n * n) * 2));
  ROOFLM_CUDA_CHECK(cudaMalloc(&b, size_t(n * n) * 2));
  ROOFLM_CUDA_CHECK(cudaMalloc(&c, size_t(n * n) * 2));
  fill_half_kernel<<<1024, 256>>>(a, n * n, 3);
  fill_half_kernel<<<1024, 256>>>(b, n * n, 4);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  cublasHandle_t h;
  ROOFLM_CUBLAS_CHECK(cublasCreate(&h));
  const float alpha = 1, beta = 0;
  const auto secs = time_reps(o.reps, [&] {
    ROOFLM_CUBLAS_CHECK(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(n), int(n), &alpha, a, CUDA_R_16F,
                                     int(n), b, CUDA_R_16F, int(n), &beta, c, CUDA_R_16F, int(n),
                                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  });
  cublasDestroy(h);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  const std::string shape = std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n) + " fp16, fp32 accumulate";
  return make_sample("gemm_fp16", "flop/s", shape, 2.0 * double(n) * double(n) * double(n), secs);
}

// One cuBLASLt GEMM, n^3, "TN", timed: int8 x int8 -> int32 (compute 32I), or e4m3 x e4m3 -> fp16
// (compute 32F, unit scales).
CeilingSample measure_gemm_lt(const CeilingOptions& o, bool fp8) {
  const int64_t n = o.gemm_n;
  void *a, *b, *c;
  const size_t c_bytes = size_t(n * n) * (fp8 ? 2 : 4);
  ROOFLM_CUDA_CHECK(cudaMalloc(&a, size_t(n * n)));
  ROOFLM_CUDA_CHECK(cudaMalloc(&b, size_t(n * n)));
  ROOFLM_CUDA_CHECK(cudaMalloc(&c, c_bytes));
  // Random bytes; as e4m3, below 1 in magnitude (no NaN, no fp16 overflow of the sums).
  fill_random_kernel<<<1024, 256>>>(static_cast<uint32_t*>(a), n * n / 4, 5);
  fill_random_kernel<<<1024, 256>>>(static_cast<uint32_t*>(b), n * n / 4, 6);
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  if (fp8) {
    clear_nan_e4m3_kernel<<<1024, 256>>>(static_cast<uint32_t*>(a), n * n / 4);
    clear_nan_e4m3_kernel<<<1024, 256>>>(static_cast<uint32_t*>(b), n * n / 4);
    ROOFLM_CUDA_CHECK(cudaGetLastError());
  }
  cublasLtHandle_t lt;
  ROOFLM_CUBLAS_CHECK(cublasLtCreate(&lt));
  cublasLtMatmulDesc_t desc;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, fp8 ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32I,
                                               fp8 ? CUDA_R_32F : CUDA_R_32I));
  const cublasOperation_t op_t = CUBLAS_OP_T;  // the int8 and fp8 tensor-core GEMMs want "TN"
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof op_t));
  const cudaDataType_t in_type = fp8 ? CUDA_R_8F_E4M3 : CUDA_R_8I, out_type = fp8 ? CUDA_R_16F : CUDA_R_32I;
  cublasLtMatrixLayout_t la, lb, lc;
  ROOFLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&la, in_type, uint64_t(n), uint64_t(n), n));
  ROOFLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&lb, in_type, uint64_t(n), uint64_t(n), n));
  ROOFLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&lc, out_type, uint64_t(n), uint64_t(n), n));
  size_t ws_bytes = size_t(32) << 20;
  void* ws = nullptr;
  ROOFLM_CUDA_CHECK(cudaMalloc(&ws, ws_bytes));
  cublasLtMatmulPreference_t pref;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                           &ws_bytes, sizeof ws_bytes));
  cublasLtMatmulHeuristicResult_t heur{};
  int found = 0;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, lc, lc, pref, 1, &heur, &found));
  const char* what = fp8 ? "fp8 e4m3" : "int8";
  if (found == 0) throw CudaError(std::string("cuBLASLt found no ") + what + " GEMM algorithm for " + std::to_string(n) + "^3");
  const int32_t alpha_i = 1, beta_i = 0;
  const float alpha_f = 1, beta_f = 0;
  const void* alpha = fp8 ? static_cast<const void*>(&alpha_f) : static_cast<const void*>(&alpha_i);
  const void* beta = fp8 ? static_cast<const void*>(&beta_f) : static_cast<const void*>(&beta_i);
  const auto secs = time_reps(o.reps, [&] {
    ROOFLM_CUBLAS_CHECK(cublasLtMatmul(lt, desc, alpha, a, la, b, lb, beta, c, lc, c, lc, &heur.algo, ws,
                                       ws_bytes, nullptr));
  });
  cublasLtMatmulPreferenceDestroy(pref);
  cublasLtMatrixLayoutDestroy(la);
  cublasLtMatrixLayoutDestroy(lb);
  cublasLtMatrixLayoutDestroy(lc);
  cublasLtMatmulDescDestroy(desc);
  cublasLtDestroy(lt);
  cudaFree(ws);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  const std::string shape = std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n) +
                            (fp8 ? " fp8 e4m3, fp32 accumulate, fp16 out" : " int8, int32 accumulate");
  return make_sample(fp8 ? "gemm_fp8" : "gemm_int8", fp8 ? "flop/s" : "op/s", shape,
                     2.0 * double(n) * double(n) * double(n), secs);
}

bool device_has_fp8() {
  int device = 0, major = 0, minor = 0;
  ROOFLM_CUDA_CHECK(cudaGetDevice(&device));
  ROOFLM_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  ROOFLM_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  return major > 8 || (major == 8 && minor >= 9);
}

}  // namespace

std::vector<CeilingSample> measure_ceilings(const CeilingOptions& options) {
  std::vector<CeilingSample> out;
  out.push_back(measure_read(options));
  out.push_back(measure_copy(options));
  out.push_back(measure_gemm_fp16(options));
  out.push_back(measure_gemm_lt(options, /*fp8=*/false));
  if (device_has_fp8()) out.push_back(measure_gemm_lt(options, /*fp8=*/true));
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  return out;
}

}  // namespace rooflm
