// SiLU, multiply and fused SiLU*mul vs the fp32 CPU reference (reference/activation.h), every
// element, fresh random inputs, odd token counts. Tolerance 1e-3 + 2e-3 |ref|: each kernel rounds its
// fp32 result to fp16 once (2^-11 relative); expf and the reference's fp32 arithmetic add ~1e-7.
#include <random>
#include <string>

#include "kernels/activation/activation_f16.h"
#include "reference/activation.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

constexpr double kAtol = 1e-3, kRtol = 2e-3;
constexpr int64_t kTokenCounts[] = {1, 3, 17, 129, 257};
constexpr int64_t kFfns[] = {8, 344, 11008};

std::string trace(int64_t n, int64_t ffn, uint64_t seed) {
  return "n=" + std::to_string(n) + " ffn=" + std::to_string(ffn) + " seed=" + std::to_string(seed);
}

TEST(ActivationF16, SiluMatchesReferenceOutOfPlaceAndInPlace) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : kTokenCounts)
    for (const int64_t ffn : kFfns) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE(trace(n, ffn, seed));
      const int64_t count = n * ffn;
      std::vector<float> g_f;
      DeviceBuffer<__half> g(random_half(size_t(count), 8.0f, seed, &g_f));
      std::vector<float> ref(static_cast<size_t>(count));
      ref::silu(g_f.data(), ref.data(), count);
      DeviceBuffer<__half> y(static_cast<size_t>(count));
      y.poison();
      silu_f16(g.get(), y.get(), count, nullptr);
      silu_f16(g.get(), g.get(), count, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol)) << "out of place";
      EXPECT_TRUE(all_close(to_float(g.download()), ref, kAtol, kRtol)) << "in place";
    }
}

TEST(ActivationF16, MulMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : kTokenCounts)
    for (const int64_t ffn : kFfns) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE(trace(n, ffn, seed));
      const int64_t count = n * ffn;
      std::vector<float> a_f, b_f;
      DeviceBuffer<__half> a(random_half(size_t(count), 4.0f, seed, &a_f));
      DeviceBuffer<__half> b(random_half(size_t(count), 4.0f, seed + 1, &b_f));
      DeviceBuffer<__half> y(static_cast<size_t>(count));
      y.poison();
      mul_f16(a.get(), b.get(), y.get(), count, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      std::vector<float> ref(static_cast<size_t>(count));
      ref::mul(a_f.data(), b_f.data(), ref.data(), count);
      EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol));
    }
}

TEST(ActivationF16, FusedSiluMulReadsGateThenUpHalves) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : kTokenCounts)
    for (const int64_t ffn : kFfns) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE(trace(n, ffn, seed));
      std::vector<float> gate_up_f;
      DeviceBuffer<__half> gate_up(random_half(size_t(n * 2 * ffn), 8.0f, seed, &gate_up_f));
      DeviceBuffer<__half> y(size_t(n * ffn));
      y.poison();
      silu_mul_f16(gate_up.get(), y.get(), n, ffn, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      std::vector<float> ref(size_t(n * ffn));
      ref::silu_mul(gate_up_f.data(), ref.data(), n, ffn);
      EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol));
    }
}

TEST(ActivationF16, SupportedNeedsWholeVectors) {
  EXPECT_TRUE(activation_f16_supported(11008));
  EXPECT_FALSE(activation_f16_supported(11009));
  EXPECT_FALSE(activation_f16_supported(0));
}

}  // namespace
}  // namespace rooflm
