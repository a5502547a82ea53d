// Unit tests of the capacity search's bracketing and bisection (engine/runtime/capacity_bracket.h)
// over threshold predicates: the probe sequence, the final bracket, integer knobs, the ends.
// Run: build/tests/rooflm_unit_tests --gtest_filter='CapacityBracket*'
#include <gtest/gtest.h>

#include <vector>

#include "engine/runtime/capacity_bracket.h"

namespace rooflm {
namespace {

std::vector<double> values(const BracketResult& r) {
  std::vector<double> v;
  for (const auto& p : r.probes) v.push_back(p.value);
  return v;
}

TEST(CapacityBracket, DoublesThenBisectsToTheTolerance) {
  const BracketSpec spec{.lo = 0.5, .hi = 64, .tolerance = 0.05};
  const BracketResult r = bracket_and_bisect(spec, [](double x) { return x <= 10; });
  ASSERT_TRUE(r.pass && r.fail);
  EXPECT_LE(*r.pass, 10);
  EXPECT_GT(*r.fail, 10);
  EXPECT_LE((*r.fail - *r.pass) / *r.pass, 0.05);
  // bracketing: 0.5 1 2 4 8 pass, 16 fails; then midpoints of [8, 16]
  const std::vector<double> expected = {0.5, 1, 2, 4, 8, 16, 12, 10, 11, 10.5};
  EXPECT_EQ(values(r), expected);
  EXPECT_EQ(*r.pass, 10);
  EXPECT_EQ(*r.fail, 10.5);
}

TEST(CapacityBracket, EveryPassIsBelowEveryFailOfAThreshold) {
  for (double threshold : {0.6, 1.0, 3.3, 17.0, 63.9}) {
    const BracketSpec spec{.lo = 0.5, .hi = 64, .tolerance = 0.01};
    const BracketResult r = bracket_and_bisect(spec, [&](double x) { return x <= threshold; });
    ASSERT_TRUE(r.pass && r.fail) << threshold;
    for (const auto& p : r.probes) EXPECT_EQ(p.pass, p.value <= threshold) << threshold;
    EXPECT_LE(*r.pass, threshold);
    EXPECT_GT(*r.fail, threshold);
    EXPECT_LE(*r.fail - *r.pass, 0.01 * *r.pass + 1e-12);
  }
}

TEST(CapacityBracket, LoFailingStopsAtOnce) {
  const BracketResult r = bracket_and_bisect({.lo = 2, .hi = 64}, [](double) { return false; });
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.fail, 2);
  EXPECT_EQ(values(r), std::vector<double>{2});
}

TEST(CapacityBracket, HiPassingCapsTheLastDoubling) {
  const BracketResult r = bracket_and_bisect({.lo = 1, .hi = 12}, [](double) { return true; });
  EXPECT_EQ(r.pass, 12);
  EXPECT_FALSE(r.fail);
  EXPECT_EQ(values(r), (std::vector<double>{1, 2, 4, 8, 12}));
}

TEST(CapacityBracket, FailingAtHiAfterTheCap) {
  const BracketResult r = bracket_and_bisect({.lo = 1, .hi = 12, .tolerance = 0.1}, [](double x) { return x < 11; });
  EXPECT_EQ(values(r), (std::vector<double>{1, 2, 4, 8, 12, 10, 11}));
  EXPECT_EQ(r.pass, 10);
  EXPECT_EQ(r.fail, 11);
}

TEST(CapacityBracket, IntegerKnobProbesWholeNumbersDownToAGapOfOne) {
  const BracketSpec spec{.lo = 1, .hi = 256, .tolerance = 0.001, .integer = true};
  const BracketResult r = bracket_and_bisect(spec, [](double x) { return x <= 37; });
  for (const auto& p : r.probes) EXPECT_EQ(p.value, double(int64_t(p.value))) << p.value;
  EXPECT_EQ(r.pass, 37);
  EXPECT_EQ(r.fail, 38);
}

TEST(CapacityBracket, IntegerKnobStopsAtTheRelativeToleranceToo) {
  const BracketSpec spec{.lo = 8, .hi = 1024, .tolerance = 0.1, .integer = true};
  const BracketResult r = bracket_and_bisect(spec, [](double x) { return x <= 300; });
  ASSERT_TRUE(r.pass && r.fail);
  EXPECT_LE(*r.fail - *r.pass, 0.1 * *r.pass);
  EXPECT_LE(*r.pass, 300);
  EXPECT_GT(*r.fail, 300);
}

TEST(CapacityBracket, DeterministicForTheSamePredicate) {
  auto run = [] { return values(bracket_and_bisect({.lo = 0.25, .hi = 100, .tolerance = 0.02},
                                                    [](double x) { return x * x < 50; })); };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace rooflm
