// gemm_xwt_f16: the prefill / large-batch linear layer through cuBLASLt.
//   y[n, out] = x[n, in] W^T (+ bias[out])   W in Hugging Face layout [out, in], row-major
// fp16 storage, fp32 accumulation (CUBLAS_COMPUTE_32F). The optional bias is cuBLASLt's
// CUBLASLT_EPILOGUE_BIAS (added to the fp32 result before the fp16 store, no extra launch). One GemmCublasLt owns the cuBLASLt handle,
// a workspace and a cache of per-shape plans (descriptors + the heuristic's algorithm), so a call
// after the first does no host-side set-up and can be captured into a CUDA graph.
// Not thread-safe: use one object per host thread.
#pragma once

#include <cublasLt.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <tuple>

namespace rooflm {

class GemmCublasLt {
 public:
  static constexpr size_t kDefaultWorkspaceBytes = size_t(32) << 20;  // what cuBLAS suggests for Hopper

  explicit GemmCublasLt(size_t workspace_bytes = kDefaultWorkspaceBytes);
  ~GemmCublasLt();
  GemmCublasLt(const GemmCublasLt&) = delete;
  GemmCublasLt& operator=(const GemmCublasLt&) = delete;

  // y = x W^T + bias.         x: [n, in]; w: [out, in]; bias: [out] or nullptr (none), 16-byte
  //                           aligned; y: [n, out]   (all fp16)
  void xwt_f16(const __half* x, const __half* w, const __half* bias, __half* y, int64_t n, int64_t in, int64_t out,
               cudaStream_t stream);

  // The int8 tensor-core GEMM of W8A8 (CUBLAS_COMPUTE_32I, "TN" IMMA): acc = x W^T exactly in int32.
  //                           x: [n, in] int8; w: [out, in] int8; acc: [n, out] int32; in, out
  //                           multiples of 4 (16-byte aligned pointers)
  void xwt_s8_s32(const int8_t* x, const int8_t* w, int32_t* acc, int64_t n, int64_t in, int64_t out,
                  cudaStream_t stream);

  // The FP8 E4M3 tensor-core GEMM with its dequantising epilogue fused: y = (x W^T)[t, o] *
  // x_scales[t] * w_scales[o] + bias[o] through cuBLASLt's outer-vector scaling
  // (CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F). Returns false, doing nothing, when this cuBLASLt
  // has no algorithm for it or a scale vector is not 16-byte aligned (then xwt_e4m3_f32 and an
  // epilogue kernel do the same).
  //                           x: [n, in] e4m3; x_scales: [n]; w: [out, in] e4m3; w_scales: [out];
  //                           bias: [out] or nullptr; y: [n, out] fp16
  bool xwt_e4m3_scaled(const uint8_t* x, const float* x_scales, const uint8_t* w, const float* w_scales,
                       const __half* bias, __half* y, int64_t n, int64_t in, int64_t out, cudaStream_t stream);
  // acc = x W^T in fp32 (decoded e4m3 products, fp32 accumulation), no scales.
  void xwt_e4m3_f32(const uint8_t* x, const uint8_t* w, float* acc, int64_t n, int64_t in, int64_t out,
                    cudaStream_t stream);

  // residual += x W^T, the residual add fused into the GEMM epilogue (C = D = residual, beta = 1).
  // The residual stream is fp32 (see kernels/norm/rmsnorm_f16.h).
  //                           x: [n, in]; w: [out, in] (fp16); residual: [n, out] (fp32)
  void xwt_add_residual_f16(const __half* x, const __half* w, float* residual, int64_t n, int64_t in,
                            int64_t out, cudaStream_t stream);

 private:
  enum class Epilogue { store_f16, bias_f16, add_residual_f32, s8_s32, e4m3_f32, e4m3_scaled_f16, e4m3_scaled_bias_f16 };
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t w_layout = nullptr, x_layout = nullptr, y_layout = nullptr;
    cublasLtMatmulAlgo_t algo{};
    bool found = false;  // the heuristic had an algorithm (only e4m3_scaled may have none)
  };
  using PlanKey = std::tuple<int64_t, int64_t, int64_t, Epilogue>;  // n, in, out, epilogue

  const Plan& plan(int64_t n, int64_t in, int64_t out, Epilogue epilogue);
  void run(const Plan& plan, const void* x, const void* w, const __half* bias, const void* c, void* d,
           float beta, cudaStream_t stream);

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;  // [workspace_bytes_] device
  size_t workspace_bytes_ = 0;
  std::map<PlanKey, Plan> plans_;
};

}  // namespace rooflm
