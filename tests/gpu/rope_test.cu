// rope_f16 vs the CPU reference (reference/rope.h) on Q and K together, every element, fresh random
// inputs and positions (up to 32767, where angle errors would show), odd token counts, GQA head
// counts, and inverse-frequency tables without scaling, with linear scaling and with Llama-3.1's
// scaling (common/rope_table.h). The kernel reads the table as fp32; the first test gives the
// reference the same fp32-rounded numbers (in double), so it checks the kernel's arithmetic:
// tolerance 1e-3 + 1e-3 |ref| (outputs are |y| <= sqrt(2) fp16 values, 2^-11 relative rounding;
// cos/sin rounded to fp32, ~6e-8, applied in fp32). The second test compares against the exact
// double table: the fp32 table moves an angle by up to position * 2^-24 rad (5e-4 at 8191), so it
// allows 2e-3 + 2e-3 |ref| at positions below 8192.
#include <random>
#include <string>
#include <vector>

#include "common/rope_table.h"
#include "kernels/rope/rope_f16.h"
#include "reference/rope.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

struct Heads {
  int64_t n_heads, n_kv_heads, head_dim;
  double theta;
  RopeScaling scaling;
  const char* name;
};

RopeScaling llama3_scaling() {  // Llama-3.1-8B's config.json rope_scaling
  RopeScaling s;
  s.kind = RopeScaling::Kind::llama3;
  s.factor = 8.0;
  s.low_freq_factor = 1.0;
  s.high_freq_factor = 4.0;
  s.original_max_positions = 8192;
  return s;
}

RopeScaling linear_scaling(double factor) {
  RopeScaling s;
  s.kind = RopeScaling::Kind::linear;
  s.factor = factor;
  return s;
}

const Heads kConfigs[] = {
    {32, 8, 128, 10000.0, {}, "llama2"},
    {4, 2, 64, 10000.0, {}, "hd64"},
    {3, 1, 16, 500000.0, {}, "hd16"},
    {2, 2, 256, 1e6, {}, "hd256"},
    {32, 8, 128, 500000.0, llama3_scaling(), "llama3"},
    {4, 2, 64, 10000.0, linear_scaling(4.0), "linear4"},
};

// The model's table as the kernel reads it (fp32, device) and those same values in double.
struct Table {
  std::vector<double> exact, as_read;
  DeviceBuffer<float> device;
};

Table make_table(const Heads& c) {
  Table t;
  t.exact = rope_inv_freq(c.head_dim, c.theta, c.scaling);
  std::vector<float> f(t.exact.begin(), t.exact.end());
  t.as_read.assign(f.begin(), f.end());
  t.device = DeviceBuffer<float>(f);
  return t;
}

// Runs rope_f16 on fresh random Q, K at random positions in [0, max_position] (0 and max_position
// included) and checks both against the reference given the exact table or the fp32 one.
void check_rope(const Heads& c, int64_t n, int32_t max_position, bool exact_table, double atol, double rtol) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(std::string(c.name) + " n=" + std::to_string(n) + " heads=" + std::to_string(c.n_heads) + "/" +
               std::to_string(c.n_kv_heads) + " head_dim=" + std::to_string(c.head_dim) +
               " seed=" + std::to_string(seed));
  const Table table = make_table(c);
  std::vector<float> q_f, k_f;
  DeviceBuffer<__half> q(random_half(size_t(n * c.n_heads * c.head_dim), 1.0f, seed, &q_f));
  DeviceBuffer<__half> k(random_half(size_t(n * c.n_kv_heads * c.head_dim), 1.0f, seed + 1, &k_f));
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_int_distribution<int32_t> pos(0, max_position);
  std::vector<int32_t> positions(static_cast<size_t>(n));
  for (int32_t& p : positions) p = pos(rng);
  positions[0] = 0;  // position 0 must be the identity
  positions[size_t(n - 1)] = max_position;
  DeviceBuffer<int32_t> positions_d(positions);
  rope_f16(q.get(), k.get(), positions_d.get(), n, c.n_heads, c.n_kv_heads, c.head_dim, table.device.get(), nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<double>& ref_table = exact_table ? table.exact : table.as_read;
  ref::rope(q_f.data(), positions.data(), n, c.n_heads, c.head_dim, ref_table.data());
  ref::rope(k_f.data(), positions.data(), n, c.n_kv_heads, c.head_dim, ref_table.data());
  EXPECT_TRUE(all_close(to_float(q.download()), q_f, atol, rtol)) << "Q";
  EXPECT_TRUE(all_close(to_float(k.download()), k_f, atol, rtol)) << "K";
}

TEST(RopeF16, RotatesQAndKLikeReference) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : {1, 3, 17, 129, 257})
    for (const Heads& c : kConfigs) check_rope(c, n, 32767, false, 1e-3, 1e-3);
}

TEST(RopeF16, MatchesTheExactTableAtContextLengths) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : {3, 129})
    for (const Heads& c : kConfigs) check_rope(c, n, 8191, true, 2e-3, 2e-3);
}

// The llama3 table differs from the unscaled one (so the tests above would catch a kernel that
// ignored the table): low frequencies divided by the factor, high ones kept.
TEST(RopeF16, Llama3TableScalesLowFrequenciesOnly) {
  const std::vector<double> plain = rope_inv_freq(128, 500000.0, RopeScaling{});
  const std::vector<double> scaled = rope_inv_freq(128, 500000.0, llama3_scaling());
  ASSERT_EQ(plain.size(), scaled.size());
  EXPECT_DOUBLE_EQ(scaled.front(), plain.front());                // wavelength 2 pi: kept
  EXPECT_NEAR(scaled.back(), plain.back() / 8.0, 1e-12 * plain.back());  // longest wavelength: / factor
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
