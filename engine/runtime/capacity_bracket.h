// The search behind a capacity run (scenario "search"): the highest value of a load knob (arrival
// rate, closed-loop concurrency) at which a predicate ("the SLOs hold") is true. Bracketing first:
// lo, 2 lo, 4 lo, ... (the last step capped at hi) until a probe fails or hi passes; then bisection
// between the highest passing and the lowest failing value until (fail - pass) / pass <= tolerance
// (integer knobs: also stop when fail - pass <= 1). The predicate is assumed to hold below some value
// and fail above it; where it does not (noise), the answer is still a passing value with a failing
// one at most `tolerance` above it. A pure function: tests/unit/capacity_bracket_test.cpp.
#pragma once

#include <functional>
#include <optional>
#include <vector>

namespace rooflm {

struct BracketSpec {
  double lo = 1, hi = 2;   // 0 < lo < hi
  double tolerance = 0.05; // in (0, 1): relative width of the final bracket
  bool integer = false;    // probe whole numbers only (lo and hi are whole)
};

struct BracketProbe {
  double value = 0;
  bool pass = false;
};

struct BracketResult {
  std::optional<double> pass;  // highest passing value (the capacity); nullopt: lo failed
  std::optional<double> fail;  // lowest failing value above it; nullopt: hi passed
  std::vector<BracketProbe> probes;  // in the order they ran
};

BracketResult bracket_and_bisect(const BracketSpec& spec, const std::function<bool(double)>& passes);

}  // namespace rooflm
