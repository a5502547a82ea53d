// bracket_and_bisect: doubling from lo up to hi, then bisection to the relative tolerance.
#include "engine/runtime/capacity_bracket.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace rooflm {

namespace {

bool narrow_enough(const BracketSpec& spec, double pass, double fail) {
  if (spec.integer && fail - pass <= 1) return true;
  return (fail - pass) <= spec.tolerance * pass;
}

}  // namespace

BracketResult bracket_and_bisect(const BracketSpec& spec, const std::function<bool(double)>& passes) {
  ROOFLM_CHECK(spec.lo > 0 && spec.hi > spec.lo, "bracket needs 0 < lo < hi");
  ROOFLM_CHECK(spec.tolerance > 0 && spec.tolerance < 1, "bracket tolerance must be in (0, 1)");
  BracketResult result;
  auto probe = [&](double value) {
    const bool ok = passes(value);
    result.probes.push_back({value, ok});
    (ok ? result.pass : result.fail) = value;
    return ok;
  };

  for (double value = spec.lo;; value = std::min(2 * value, spec.hi)) {
    if (!probe(value) || value >= spec.hi) break;
  }
  if (!result.pass || !result.fail) return result;

  while (!narrow_enough(spec, *result.pass, *result.fail)) {
    double mid = 0.5 * (*result.pass + *result.fail);
    if (spec.integer) mid = std::floor(mid);  // fail - pass >= 2: strictly between them
    probe(mid);
  }
  return result;
}

}  // namespace rooflm
