// Host sampler: greedy, top-k / top-p support, seeded determinism, batching independence.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "reference/sampler.h"

namespace rooflm {
namespace {

const std::vector<float> kLogits = {0.5f, 3.0f, 1.0f, 2.9f, -1.0f, 2.0f};

TEST(Sampler, GreedyIsArgmaxAndLowestIndexOnTies) {
  EXPECT_EQ(ref::sample_token(kLogits, {}, 1, 0), 1);
  const std::vector<float> tie = {1.0f, 5.0f, 5.0f};
  EXPECT_EQ(ref::sample_token(tie, {}, 1, 0), 1);
}

TEST(Sampler, SameSeedAndPositionGiveSameToken) {
  SamplingParams p{1.0f, 0, 1.0f};
  for (int64_t pos = 0; pos < 50; ++pos)
    EXPECT_EQ(ref::sample_token(kLogits, p, 42, pos), ref::sample_token(kLogits, p, 42, pos));
}

TEST(Sampler, TopKOnlyDrawsFromTheKLargest) {
  SamplingParams p{2.0f, 2, 1.0f};
  for (int64_t pos = 0; pos < 500; ++pos) {
    const int32_t t = ref::sample_token(kLogits, p, 7, pos);
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  // softmax at T=1 of {3.0, 2.9, 2.0, 1.0, 0.5, -1}: 0.383, 0.347, 0.141, 0.052, 0.032, 0.007.
  // top_p = 0.7: {1 (0.383), 3 (0.730)} reaches 0.7.
  SamplingParams p{1.0f, 0, 0.7f};
  std::map<int32_t, int> seen;
  for (int64_t pos = 0; pos < 2000; ++pos) ++seen[ref::sample_token(kLogits, p, 11, pos)];
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[1], 0);
  EXPECT_GT(seen[3], 0);
}

TEST(Sampler, TemperatureSamplingFollowsTheSoftmax) {
  SamplingParams p{1.0f, 0, 1.0f};
  std::map<int32_t, int> seen;
  const int n = 20000;
  for (int64_t pos = 0; pos < n; ++pos) ++seen[ref::sample_token(kLogits, p, 3, pos)];
  EXPECT_NEAR(seen[1] / double(n), 0.383, 0.02);
  EXPECT_NEAR(seen[5] / double(n), 0.141, 0.015);
  EXPECT_NEAR(seen[4] / double(n), 0.007, 0.004);
}

TEST(Sampler, DifferentSeedsDiffer) {
  SamplingParams p{5.0f, 0, 1.0f};
  int differ = 0;
  for (int64_t pos = 0; pos < 100; ++pos) differ += ref::sample_token(kLogits, p, 1, pos) != ref::sample_token(kLogits, p, 2, pos);
  EXPECT_GT(differ, 30);
}

}  // namespace
}  // namespace rooflm
