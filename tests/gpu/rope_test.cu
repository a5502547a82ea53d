// rope_f16 vs the double CPU reference on Q and K together, every element, fresh random inputs and
// positions (up to 32767, where angle errors would show), odd token counts, GQA head counts.
// Tolerance 1e-3 + 1e-3 |ref|: outputs are |y| <= sqrt(2) fp16 values (2^-11 relative rounding);
// cos/sin are rounded to fp32 (~6e-8) and applied in fp32.
#include <random>
#include <string>

#include "kernels/reference/rope_ref.h"
#include "kernels/rope/rope_f16.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

constexpr double kAtol = 1e-3, kRtol = 1e-3;

struct Heads {
  int64_t n_heads, n_kv_heads, head_dim;
  double theta;
};

TEST(RopeF16, RotatesQAndKLikeReference) {
  ROOFLM_REQUIRE_GPU();
  const Heads configs[] = {{32, 8, 128, 10000.0}, {4, 2, 64, 10000.0}, {3, 1, 16, 500000.0}, {2, 2, 256, 1e6}};
  for (const int64_t n : {1, 3, 17, 129, 257})
    for (const Heads& c : configs) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE("n=" + std::to_string(n) + " heads=" + std::to_string(c.n_heads) + "/" +
                   std::to_string(c.n_kv_heads) + " head_dim=" + std::to_string(c.head_dim) +
                   " seed=" + std::to_string(seed));
      std::vector<float> q_f, k_f;
      DeviceBuffer<__half> q(random_half(size_t(n * c.n_heads * c.head_dim), 1.0f, seed, &q_f));
      DeviceBuffer<__half> k(random_half(size_t(n * c.n_kv_heads * c.head_dim), 1.0f, seed + 1, &k_f));
      std::mt19937 rng(static_cast<uint32_t>(seed));
      std::uniform_int_distribution<int32_t> pos(0, 32767);
      std::vector<int32_t> positions(static_cast<size_t>(n));
      for (int32_t& p : positions) p = pos(rng);
      positions[0] = 0;  // position 0 must be the identity
      DeviceBuffer<int32_t> positions_d(positions);
      rope_f16(q.get(), k.get(), positions_d.get(), n, c.n_heads, c.n_kv_heads, c.head_dim, c.theta, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      ref::rope(q_f.data(), positions.data(), n, c.n_heads, c.head_dim, c.theta);
      ref::rope(k_f.data(), positions.data(), n, c.n_kv_heads, c.head_dim, c.theta);
      EXPECT_TRUE(all_close(to_float(q.download()), q_f, kAtol, kRtol)) << "Q";
      EXPECT_TRUE(all_close(to_float(k.download()), k_f, kAtol, kRtol)) << "K";
    }
}

TEST(RopeF16, SupportedHeadDims) {
  EXPECT_TRUE(rope_f16_supported(64));
  EXPECT_TRUE(rope_f16_supported(128));
  EXPECT_TRUE(rope_f16_supported(512));
  EXPECT_FALSE(rope_f16_supported(72));   // half = 36: not whole 8-element vectors
  EXPECT_FALSE(rope_f16_supported(1024));  // cos/sin table holds 256 pairs
}

}  // namespace
}  // namespace rooflm
