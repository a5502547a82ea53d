// cuBLASLt wrapper for y = x W^T (see gemm_cublaslt.h).
//
// cuBLAS is column-major. Row-major y [n, out] is column-major y^T [out, n]; row-major W [out, in]
// is column-major W^T [in, out]; row-major x [n, in] is column-major x^T [in, n]. So
//   y^T = op(W^T) x^T with op = transpose:  m = out, n = n, k = in, "TN", all leading dims packed.
// The bias [out] is then one value per row of the column-major D = y^T [out, n], which is what
// CUBLASLT_EPILOGUE_BIAS broadcasts (a vector of D's row count, packed, added to every column).
// Its element type defaults to D's (CUDA_R_16F here); it is set explicitly anyway
// (CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE). The bias pointer is a descriptor attribute, set before
// each call; the heuristic reads its value for the alignment it may assume, so the plan is made
// with a pointer only 16-byte aligned and every call requires 16-byte alignment.
#include "kernels/gemm/gemm_cublaslt.h"

#include <string>

#include "common/error.h"
#include "kernels/common/cuda_check.h"

namespace rooflm {

GemmCublasLt::GemmCublasLt(size_t workspace_bytes) : workspace_bytes_(workspace_bytes) {
  ROOFLM_CUBLAS_CHECK(cublasLtCreate(&handle_));
  ROOFLM_CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes_));
}

GemmCublasLt::~GemmCublasLt() {
  for (auto& [key, p] : plans_) {
    cublasLtMatrixLayoutDestroy(p.y_layout);
    cublasLtMatrixLayoutDestroy(p.x_layout);
    cublasLtMatrixLayoutDestroy(p.w_layout);
    cublasLtMatmulDescDestroy(p.desc);
  }
  cudaFree(workspace_);
  cublasLtDestroy(handle_);
}

const GemmCublasLt::Plan& GemmCublasLt::plan(int64_t n, int64_t in, int64_t out, Epilogue epilogue) {
  const PlanKey key{n, in, out, epilogue};
  if (const auto found = plans_.find(key); found != plans_.end()) return found->second;
  ROOFLM_CHECK(n > 0 && in > 0 && out > 0, "gemm shape n=" + std::to_string(n) + " in=" + std::to_string(in) +
                                               " out=" + std::to_string(out));
  const bool s8 = epilogue == Epilogue::s8_s32;
  const bool e4m3 = epilogue == Epilogue::e4m3_f32 || epilogue == Epilogue::e4m3_scaled_f16 ||
                    epilogue == Epilogue::e4m3_scaled_bias_f16;
  const bool scaled = epilogue == Epilogue::e4m3_scaled_f16 || epilogue == Epilogue::e4m3_scaled_bias_f16;
  const bool bias = epilogue == Epilogue::bias_f16 || epilogue == Epilogue::e4m3_scaled_bias_f16;

  Plan p;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescCreate(&p.desc, s8 ? CUBLAS_COMPUTE_32I : CUBLAS_COMPUTE_32F,
                                               s8 ? CUDA_R_32I : CUDA_R_32F));
  const cublasOperation_t transpose = CUBLAS_OP_T;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose));
  const void* aligned16 = static_cast<const char*>(workspace_) + 16;  // a device address, 16 but not 32 aligned
  if (bias) {
    const cublasLtEpilogue_t bias_epilogue = CUBLASLT_EPILOGUE_BIAS;
    const cudaDataType_t bias_type = CUDA_R_16F;
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &bias_epilogue,
                                                       sizeof bias_epilogue));
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type,
                                                       sizeof bias_type));
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &aligned16,
                                                       sizeof aligned16));
  }
  if (scaled) {  // A = W^T: one scale per output feature (M); B = x^T: one per token (N)
    const int32_t mode = CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F;
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &mode, sizeof mode));
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mode, sizeof mode));
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &aligned16,
                                                       sizeof aligned16));
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &aligned16,
                                                       sizeof aligned16));
  }
  const cudaDataType_t in_type = s8 ? CUDA_R_8I : e4m3 ? CUDA_R_8F_E4M3 : CUDA_R_16F;
  const cudaDataType_t y_type = s8                                                              ? CUDA_R_32I
                                : epilogue == Epilogue::add_residual_f32 || epilogue == Epilogue::e4m3_f32 ? CUDA_R_32F
                                                                                                            : CUDA_R_16F;
  ROOFLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.w_layout, in_type, uint64_t(in), uint64_t(out), in));
  ROOFLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.x_layout, in_type, uint64_t(in), uint64_t(n), in));
  ROOFLM_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p.y_layout, y_type, uint64_t(out), uint64_t(n), out));

  cublasLtMatmulPreference_t preference = nullptr;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&preference));
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                          &workspace_bytes_, sizeof workspace_bytes_));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.w_layout, p.x_layout, p.y_layout,
                                                               p.y_layout, preference, 1, &heuristic, &found);
  cublasLtMatmulPreferenceDestroy(preference);
  if (!scaled) {
    ROOFLM_CUBLAS_CHECK(status);
    ROOFLM_CHECK(found > 0, "cuBLASLt has no algorithm for n=" + std::to_string(n) + " in=" + std::to_string(in) +
                                " out=" + std::to_string(out));
  }
  p.found = status == CUBLAS_STATUS_SUCCESS && found > 0;
  p.algo = heuristic.algo;
  return plans_.emplace(key, p).first->second;
}

void GemmCublasLt::run(const Plan& p, const void* x, const void* w, const __half* bias, const void* c, void* d,
                       float beta, cudaStream_t stream) {
  const float alpha = 1.0f;
  if (bias != nullptr) {
    ROOFLM_CHECK(reinterpret_cast<uintptr_t>(bias) % 16 == 0, "gemm bias must be 16-byte aligned");
    ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias));
  }
  ROOFLM_CUBLAS_CHECK(cublasLtMatmul(handle_, p.desc, &alpha, w, p.w_layout, x, p.x_layout, &beta, c, p.y_layout,
                                     d, p.y_layout, &p.algo, workspace_, workspace_bytes_, stream));
}

void GemmCublasLt::xwt_f16(const __half* x, const __half* w, const __half* bias, __half* y, int64_t n, int64_t in,
                           int64_t out, cudaStream_t stream) {
  run(plan(n, in, out, bias ? Epilogue::bias_f16 : Epilogue::store_f16), x, w, bias, y, y, 0.0f, stream);
}

void GemmCublasLt::xwt_s8_s32(const int8_t* x, const int8_t* w, int32_t* acc, int64_t n, int64_t in, int64_t out,
                              cudaStream_t stream) {
  ROOFLM_CHECK(in % 4 == 0 && out % 4 == 0, "the int8 GEMM needs in and out multiples of 4");
  const Plan& p = plan(n, in, out, Epilogue::s8_s32);
  const int32_t alpha = 1, beta = 0;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmul(handle_, p.desc, &alpha, w, p.w_layout, x, p.x_layout, &beta, acc, p.y_layout,
                                     acc, p.y_layout, &p.algo, workspace_, workspace_bytes_, stream));
}

bool GemmCublasLt::xwt_e4m3_scaled(const uint8_t* x, const float* x_scales, const uint8_t* w, const float* w_scales,
                                   const __half* bias, __half* y, int64_t n, int64_t in, int64_t out,
                                   cudaStream_t stream) {
  // The plan's algorithm assumes 16-byte aligned scale vectors (a node's row slice may start elsewhere).
  const auto aligned16 = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  if (!aligned16(x_scales) || !aligned16(w_scales) || (bias != nullptr && !aligned16(bias))) return false;
  const Plan& p = plan(n, in, out, bias ? Epilogue::e4m3_scaled_bias_f16 : Epilogue::e4m3_scaled_f16);
  if (!p.found) return false;
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &w_scales,
                                                     sizeof w_scales));
  ROOFLM_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &x_scales,
                                                     sizeof x_scales));
  run(p, x, w, bias, y, y, 0.0f, stream);
  return true;
}

void GemmCublasLt::xwt_e4m3_f32(const uint8_t* x, const uint8_t* w, float* acc, int64_t n, int64_t in, int64_t out,
                                cudaStream_t stream) {
  run(plan(n, in, out, Epilogue::e4m3_f32), x, w, nullptr, acc, acc, 0.0f, stream);
}

void GemmCublasLt::xwt_add_residual_f16(const __half* x, const __half* w, float* residual, int64_t n, int64_t in,
                                        int64_t out, cudaStream_t stream) {
  run(plan(n, in, out, Epilogue::add_residual_f32), x, w, nullptr, residual, residual, 1.0f, stream);
}

}  // namespace rooflm
