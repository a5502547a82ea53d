// Helpers for GPU tests: skip cleanly without a device, device buffers, fresh random inputs,
// and the element-wise tolerance check |got - ref| <= atol + rtol * |ref| (every element, NaN fails).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/cuda_check.h"
#include "reference/all_close.h"

namespace rooflm::gputest {

inline bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

#define ROOFLM_REQUIRE_GPU() \
  if (!::rooflm::gputest::have_gpu()) GTEST_SKIP() << "no CUDA device"

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) : n_(n) { ROOFLM_CUDA_CHECK(cudaMalloc(&p_, n * sizeof(T) + 1)); }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() { if (p_) cudaFree(p_); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept { std::swap(p_, o.p_); std::swap(n_, o.n_); return *this; }
  T* get() const { return p_; }
  size_t size() const { return n_; }
  void upload(const std::vector<T>& h) { ROOFLM_CUDA_CHECK(cudaMemcpy(p_, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice)); }
  std::vector<T> download() const {
    std::vector<T> h(n_);
    ROOFLM_CUDA_CHECK(cudaMemcpy(h.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
  // Fills every byte with 0xFF: as fp16 that is NaN, so an unwritten output element fails the check.
  void poison() { ROOFLM_CUDA_CHECK(cudaMemset(p_, 0xFF, n_ * sizeof(T))); }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

// Uniform random fp16 values in [-scale, scale] (rounded), and their float values.
inline std::vector<__half> random_half(size_t n, float scale, uint64_t seed, std::vector<float>* as_float = nullptr) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<__half> h(n);
  if (as_float) as_float->resize(n);
  for (size_t i = 0; i < n; ++i) {
    h[i] = __float2half(u(rng));
    if (as_float) (*as_float)[i] = __half2float(h[i]);
  }
  return h;
}

inline std::vector<float> to_float(const std::vector<__half>& h) {
  std::vector<float> f(h.size());
  for (size_t i = 0; i < h.size(); ++i) f[i] = __half2float(h[i]);
  return f;
}

// Every element: |got - ref| <= atol + rtol * |ref|; NaN never passes (reference/all_close.h).
// Reports the first failures.
inline ::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& ref,
                                            double atol, double rtol) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != " << ref.size();
  const ref::CloseReport r = ref::compare_close(got.data(), ref.data(), ref.size(), atol, rtol);
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.off << " of " << r.checked << " elements off:" << r.first;
}

}  // namespace rooflm::gputest
