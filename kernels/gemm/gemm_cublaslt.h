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

  // residual += x W^T, the residual add fused into the GEMM epilogue (C = D = residual, beta = 1).
  // The residual stream is fp32 (see kernels/norm/rmsnorm_f16.h).
  //                           x: [n, in]; w: [out, in] (fp16); residual: [n, out] (fp32)
  void xwt_add_residual_f16(const __half* x, const __half* w, float* residual, int64_t n, int64_t in,
                            int64_t out, cudaStream_t stream);

 private:
  enum class Epilogue { store_f16, bias_f16, add_residual_f32 };
  struct Plan {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t w_layout = nullptr, x_layout = nullptr, y_layout = nullptr;
    cublasLtMatmulAlgo_t algo{};
  };
  using PlanKey = std::tuple<int64_t, int64_t, int64_t, Epilogue>;  // n, in, out, epilogue

  const Plan& plan(int64_t n, int64_t in, int64_t out, Epilogue epilogue);
  void run(const Plan& plan, const __half* x, const __half* w, const __half* bias, const void* c, void* d,
           float beta, cudaStream_t stream);

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;  // [workspace_bytes_] device
  size_t workspace_bytes_ = 0;
  std::map<PlanKey, Plan> plans_;
};

}  // namespace rooflm
