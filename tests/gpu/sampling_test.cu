// GPU samplers vs the host sampler (reference/sampler.h, row by row through reference/sampling.h):
// every row's token must be equal. Logits are drawn from a coarse grid so that many
// values tie (the tie rule must match), on fresh random seeds, positions and odd row counts.
#include <random>
#include <string>

#include "kernels/sampling/argmax_f16.h"
#include "kernels/sampling/sample_f16.h"
#include "reference/sampling.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::DeviceBuffer;

// Logits k / 8 for integer k in [-range, range]: exact in fp16, with many ties per row; -0.0 appears
// too (the host compares it equal to +0.0).
std::vector<__half> tied_logits(size_t count, int range, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> k(-range, range);
  std::vector<__half> v(count);
  for (__half& e : v) {
    const int value = k(rng);
    e = __float2half(value == 0 && (rng() & 1) ? -0.0f : float(value) / 8.0f);
  }
  return v;
}

TEST(SamplingF16, ArgmaxMatchesHostIncludingTies) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n_rows : {1, 3, 17, 129, 257})
    for (const int64_t vocab : {32000, 1001, 7}) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE("rows=" + std::to_string(n_rows) + " vocab=" + std::to_string(vocab) + " seed=" + std::to_string(seed));
      const std::vector<__half> logits = tied_logits(size_t(n_rows * vocab), 40, seed);
      DeviceBuffer<__half> logits_d(logits);
      DeviceBuffer<int32_t> tokens(static_cast<size_t>(n_rows));
      tokens.poison();
      argmax_f16(logits_d.get(), tokens.get(), n_rows, vocab, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      const std::vector<float> logits_f = gputest::to_float(logits);
      EXPECT_EQ(tokens.download(), ref::argmax_rows(logits_f.data(), n_rows, vocab));
    }
}

TEST(SamplingF16, SeededSamplingReproducesHostSampler) {
  ROOFLM_REQUIRE_GPU();
  // temperature, top_k, top_p: plain temperature, top-k, top-p, both, greedy by temperature and by k.
  const SamplingRow kinds[] = {{0.7f, 0, 1.0f},  {1.0f, 50, 1.0f}, {0.8f, 0, 0.9f},
                               {1.3f, 40, 0.95f}, {0.0f, 0, 1.0f}, {1.0f, 1, 1.0f}, {2.0f, 0, 0.5f}};
  for (const int64_t n_rows : {1, 3, 17, 129})
    for (const int64_t vocab : {32000, 1001}) {
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE("rows=" + std::to_string(n_rows) + " vocab=" + std::to_string(vocab) + " seed=" + std::to_string(seed));
      std::mt19937_64 rng(seed);
      std::vector<SamplingRow> rows(static_cast<size_t>(n_rows));
      for (size_t r = 0; r < rows.size(); ++r) {
        rows[r] = kinds[r % std::size(kinds)];
        rows[r].seed = rng();
        rows[r].position = int64_t(rng() % 100000);
      }
      const std::vector<__half> logits = tied_logits(size_t(n_rows * vocab), 60, seed);
      DeviceBuffer<__half> logits_d(logits);
      DeviceBuffer<SamplingRow> rows_d(rows);
      DeviceBuffer<int32_t> tokens(static_cast<size_t>(n_rows));
      tokens.poison();
      ASSERT_TRUE(sample_f16_supported(n_rows, vocab));
      const size_t scratch_bytes = sample_f16_scratch_bytes(n_rows, vocab);
      DeviceBuffer<char> scratch(scratch_bytes);
      sample_f16(logits_d.get(), rows_d.get(), tokens.get(), n_rows, vocab, scratch.get(), scratch_bytes, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      const std::vector<float> logits_f = gputest::to_float(logits);
      std::vector<SamplingParams> params;
      std::vector<uint64_t> seeds;
      std::vector<int64_t> positions;
      for (const SamplingRow& row : rows) {
        params.push_back({row.temperature, row.top_k, row.top_p});
        seeds.push_back(row.seed);
        positions.push_back(row.position);
      }
      EXPECT_EQ(tokens.download(),
                ref::sample_rows(logits_f.data(), params.data(), seeds.data(), positions.data(), n_rows, vocab));
    }
}

TEST(SamplingF16, SampledTokensDependOnSeedAndPosition) {
  ROOFLM_REQUIRE_GPU();
  // Flat logits: every token equally likely, so 64 draws with distinct (seed, position) that all
  // agree would mean the draw ignores them.
  const int64_t n_rows = 64, vocab = 1000;
  std::vector<SamplingRow> rows(static_cast<size_t>(n_rows));
  for (int64_t r = 0; r < n_rows; ++r) rows[size_t(r)] = SamplingRow{1.0f, 0, 1.0f, 0, uint64_t(r % 8), r / 8};
  DeviceBuffer<__half> logits(std::vector<__half>(size_t(n_rows * vocab), __float2half(0.5f)));
  DeviceBuffer<SamplingRow> rows_d(rows);
  DeviceBuffer<int32_t> tokens(static_cast<size_t>(n_rows));
  const size_t scratch_bytes = sample_f16_scratch_bytes(n_rows, vocab);
  DeviceBuffer<char> scratch(scratch_bytes);
  sample_f16(logits.get(), rows_d.get(), tokens.get(), n_rows, vocab, scratch.get(), scratch_bytes, nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<int32_t> got = tokens.download();
  int distinct = 0;
  for (size_t i = 1; i < got.size(); ++i) distinct += got[i] != got[0];
  EXPECT_GT(distinct, 0);
}

TEST(SamplingF16, SupportedShapes) {
  EXPECT_TRUE(sample_f16_supported(1, 128256));
  EXPECT_TRUE(sample_f16_supported(65536, 32000));
  EXPECT_FALSE(sample_f16_supported(0, 32000));
  EXPECT_FALSE(sample_f16_supported(65537, 32000));  // row index must fit 16 key bits
  EXPECT_FALSE(sample_f16_supported(1024, 1 << 21));  // 2^31 sort items
}

}  // namespace
}  // namespace rooflm
