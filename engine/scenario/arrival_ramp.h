// A rate ramp for open-loop arrivals: the rate r(t) moves from ramp.from to ramp.to over
// ramp.duration_s seconds (linear: r0 + (r1 - r0) t / T; exponential: r0 (r1 / r0)^(t / T)), then
// stays at ramp.to. Arrivals follow it by time rescaling: the process draws its gaps with mean 1 in
// "expected arrivals" (poisson: exponential, gamma: gamma of the same shape, constant: exactly 1),
// and an arrival whose running sum is L arrives at the t where the expected count Λ(t), the integral
// of r over [0, t], reaches L. So a poisson process with a ramp is the inhomogeneous Poisson process
// of rate r(t), and the count of arrivals by t averages Λ(t).
#pragma once

#include "engine/scenario/scenario.h"

namespace rooflm {

// Λ(t): the expected arrivals by t seconds (t >= 0).
double ramp_expected_arrivals(const RampSpec& ramp, double t);

// Λ^-1(count): when the expected arrivals reach `count` (>= 0).
double ramp_arrival_time(const RampSpec& ramp, double count);

}  // namespace rooflm
