// One CHECK macro family for every CUDA status type: the failing statement, file and line go into
// the exception (rooflm::CudaError), so errors surface at the API boundary with their origin.
//   ROOFLM_CUDA_CHECK(cudaMemcpy(...));   ROOFLM_CUBLAS_CHECK(cublasGemmEx(...));
//   ROOFLM_CUDA_CHECK(cudaGetLastError()); // after every kernel launch
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace rooflm {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline const char* status_string(cudaError_t s) { return cudaGetErrorString(s); }
inline const char* status_string(cublasStatus_t s) { return cublasGetStatusString(s); }
inline bool status_ok(cudaError_t s) { return s == cudaSuccess; }
inline bool status_ok(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS; }

template <typename Status>
inline void check_status(Status s, const char* stmt, const char* file, int line) {
  if (!status_ok(s))
    throw CudaError(std::string(stmt) + " failed: " + status_string(s) + " (" + std::to_string(int(s)) +
                    ") at " + file + ":" + std::to_string(line));
}

}  // namespace rooflm

#define ROOFLM_CUDA_CHECK(stmt) ::rooflm::check_status((stmt), #stmt, __FILE__, __LINE__)
#define ROOFLM_CUBLAS_CHECK(stmt) ::rooflm::check_status((stmt), #stmt, __FILE__, __LINE__)
