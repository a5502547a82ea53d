// Λ(t) of a linear or exponential rate ramp and its inverse, in closed form.
#include "engine/scenario/arrival_ramp.h"

#include <cmath>

namespace rooflm {
namespace {

// Rates this close are one constant rate (no division by r1 - r0 or ln(r1 / r0)).
bool flat(const RampSpec& ramp) { return std::abs(ramp.to - ramp.from) <= 1e-12 * ramp.to; }

// Λ(T): the expected arrivals during the ramp.
double arrivals_during_ramp(const RampSpec& ramp) {
  if (flat(ramp)) return ramp.to * ramp.duration_s;
  if (ramp.strategy == RampStrategy::linear) return (ramp.from + ramp.to) * ramp.duration_s / 2;
  return (ramp.to - ramp.from) * ramp.duration_s / std::log(ramp.to / ramp.from);
}

}  // namespace

double ramp_expected_arrivals(const RampSpec& ramp, double t) {
  const double T = ramp.duration_s;
  if (t >= T) return arrivals_during_ramp(ramp) + ramp.to * (t - T);
  if (flat(ramp)) return ramp.to * t;
  if (ramp.strategy == RampStrategy::linear) return ramp.from * t + (ramp.to - ramp.from) * t * t / (2 * T);
  const double k = std::log(ramp.to / ramp.from) / T;
  return ramp.from * std::expm1(k * t) / k;
}

double ramp_arrival_time(const RampSpec& ramp, double count) {
  if (count <= 0) return 0;
  const double T = ramp.duration_s;
  const double during = arrivals_during_ramp(ramp);
  if (count >= during) return T + (count - during) / ramp.to;
  if (flat(ramp)) return count / ramp.to;
  if (ramp.strategy == RampStrategy::linear) {
    // (r1 - r0)/(2T) t^2 + r0 t = count, in the form without cancellation (r0 may be 0, r1 < r0).
    const double a = (ramp.to - ramp.from) / (2 * T);
    return 2 * count / (ramp.from + std::sqrt(ramp.from * ramp.from + 4 * a * count));
  }
  const double k = std::log(ramp.to / ramp.from) / T;
  return std::log1p(k * count / ramp.from) / k;
}

}  // namespace rooflm
