// 95% confidence intervals of a run's headline metrics over its repetitions (summary.ci): a
// Student t-interval over the per-repetition values, mean +- t_{(1 + level) / 2, n - 1} s / sqrt(n)
// with s the sample std (n - 1). The per-repetition value of a percentile is that repetition's own
// percentile (e.g. its TTFT p99), so the interval says how much the pooled number moves from one
// repetition to the next. Fewer than 2 repetitions with a value: no interval, and `why` says so.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/metrics/summary.h"

namespace rooflm {

inline constexpr double kCiLevel = 0.95;
inline constexpr const char* kCiMethod = "student_t";

struct ConfidenceInterval {
  double level = kCiLevel;
  int64_t n = 0;             // repetitions with a value
  double mean = 0;           // of the per-repetition values (NaN when n == 0)
  std::optional<double> lo, hi;
  std::string why;           // set when there is no interval
  // {method, level, n, mean, lo, hi} (+ why; lo and hi null without an interval)
  nlohmann::json to_json() const;
};

// The two-sided Student t quantile: t such that P(|T| <= t) = level, T with `df` >= 1 degrees of
// freedom (exact for integer df: the finite series of the t distribution's CDF, inverted by bisection).
double student_t_two_sided(double level, int64_t df);

ConfidenceInterval t_interval(std::span<const double> values, double level = kCiLevel);

// summary.ci of a run: "ttft_ms.p50", ..., "tpot_ms.<p>", "e2e_ms.<p>" at each of `percentiles`,
// "output_tok_s", "req_s", "goodput_req_s", "goodput_tok_s", each a ConfidenceInterval over `repetitions`.
nlohmann::json repetition_intervals(std::span<const Summary> repetitions, std::span<const double> percentiles);

}  // namespace rooflm
