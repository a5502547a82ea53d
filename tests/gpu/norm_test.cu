// Residual add, RMSNorm and fused add+RMSNorm vs the CPU reference (reference/norm.h), every
// element, fresh random inputs, odd token counts. Tolerances: the fp32 stream x after the add is the
// reference's own fp32 add (1e-6 relative kept as margin); h is fp16 (2^-11 relative rounding)
// computed from an fp32 sum of squares (<1e-5 relative over dim <= 8192; the reference sums in
// double, scales in fp32), hence 2e-3 + 2e-3 |ref| on O(1) values.
#include <random>
#include <string>

#include "kernels/norm/rmsnorm_f16.h"
#include "reference/norm.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

constexpr float kEps = 1e-5f;
constexpr double kStreamTol = 1e-6, kOutAtol = 2e-3, kOutRtol = 2e-3;
constexpr int64_t kTokenCounts[] = {1, 3, 17, 129, 257};
constexpr int64_t kDims[] = {8, 264, 4096};

std::vector<float> random_stream(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::vector<float> v(count);
  for (float& e : v) e = u(rng);
  return v;
}

// Norm weights around 1 like a trained model's: 1 + U(-0.5, 0.5), fp16-rounded.
std::vector<__half> norm_weights(int64_t dim, uint64_t seed, std::vector<float>* as_float) {
  std::vector<__half> w = random_half(size_t(dim), 0.5f, seed, as_float);
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = __float2half((*as_float)[i] + 1.0f);
    (*as_float)[i] = __half2float(w[i]);
  }
  return w;
}

TEST(RmsnormF16, ResidualAddMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : kTokenCounts)
    for (const int64_t dim : kDims) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE("n=" + std::to_string(n) + " dim=" + std::to_string(dim) + " seed=" + std::to_string(seed));
      std::vector<float> x_f = random_stream(size_t(n * dim), seed), r_f;
      DeviceBuffer<float> x(x_f);
      DeviceBuffer<__half> r(random_half(size_t(n * dim), 1.0f, seed + 1, &r_f));
      residual_add_f16(x.get(), r.get(), n, dim, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      ref::residual_add(x_f.data(), r_f.data(), n, dim);
      EXPECT_TRUE(all_close(x.download(), x_f, 0.0, kStreamTol));
    }
}

TEST(RmsnormF16, RmsnormMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : kTokenCounts)
    for (const int64_t dim : kDims) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE("n=" + std::to_string(n) + " dim=" + std::to_string(dim) + " seed=" + std::to_string(seed));
      const std::vector<float> x_f = random_stream(size_t(n * dim), seed);
      std::vector<float> w_f;
      DeviceBuffer<float> x(x_f);
      DeviceBuffer<__half> w(norm_weights(dim, seed + 1, &w_f));
      DeviceBuffer<__half> h(size_t(n * dim));
      h.poison();
      rmsnorm_f16(x.get(), w.get(), h.get(), n, dim, kEps, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      std::vector<float> ref(size_t(n * dim));
      ref::rmsnorm(x_f.data(), w_f.data(), ref.data(), n, dim, kEps);
      EXPECT_TRUE(all_close(to_float(h.download()), ref, kOutAtol, kOutRtol));
      EXPECT_TRUE(all_close(x.download(), x_f, 0.0, 0.0)) << "rmsnorm must not write x";
    }
}

TEST(RmsnormF16, FusedAddRmsnormWritesStreamAndNormedOutput) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : kTokenCounts)
    for (const int64_t dim : kDims) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE("n=" + std::to_string(n) + " dim=" + std::to_string(dim) + " seed=" + std::to_string(seed));
      std::vector<float> x_f = random_stream(size_t(n * dim), seed), r_f, w_f;
      DeviceBuffer<float> x(x_f);
      DeviceBuffer<__half> r(random_half(size_t(n * dim), 1.0f, seed + 1, &r_f));
      DeviceBuffer<__half> w(norm_weights(dim, seed + 2, &w_f));
      DeviceBuffer<__half> h(size_t(n * dim));
      h.poison();
      add_rmsnorm_f16(x.get(), r.get(), w.get(), h.get(), n, dim, kEps, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      ref::residual_add(x_f.data(), r_f.data(), n, dim);
      std::vector<float> ref(size_t(n * dim));
      ref::rmsnorm(x_f.data(), w_f.data(), ref.data(), n, dim, kEps);
      EXPECT_TRUE(all_close(x.download(), x_f, 0.0, kStreamTol));
      EXPECT_TRUE(all_close(to_float(h.download()), ref, kOutAtol, kOutRtol));
    }
}

TEST(RmsnormF16, SupportedNeedsWholeVectors) {
  EXPECT_TRUE(rmsnorm_f16_supported(4096));
  EXPECT_TRUE(rmsnorm_f16_supported(8));
  EXPECT_FALSE(rmsnorm_f16_supported(4100));
  EXPECT_FALSE(rmsnorm_f16_supported(0));
}

}  // namespace
}  // namespace rooflm
