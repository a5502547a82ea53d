// Student t-intervals over repetitions (see confidence_interval.h).
#include "engine/metrics/confidence_interval.h"

#include <cmath>
#include <numbers>

#include "common/error.h"

namespace rooflm {

namespace {

// P(|T| <= t) for T ~ Student t with integer df >= 1 (Abramowitz & Stegun 26.7.3 / 26.7.4):
// with theta = atan(t / sqrt(df)),
//   odd df:  (2 / pi) (theta + sin theta (cos theta + 2/3 cos^3 theta + ... + (2 4 .. (df-3)) / (1 3 .. (df-2)) cos^(df-2) theta))
//   even df: sin theta (1 + 1/2 cos^2 theta + ... + (1 3 .. (df-3)) / (2 4 .. (df-2)) cos^(df-2) theta)
double t_two_sided_probability(double t, int64_t df) {
  const double theta = std::atan(t / std::sqrt(double(df)));
  const double s = std::sin(theta), c = std::cos(theta), c2 = c * c;
  if (df % 2 == 1) {
    double term = c, sum = df > 1 ? c : 0;
    for (int64_t k = 3; k <= df - 2; k += 2) {
      term *= c2 * double(k - 1) / double(k);
      sum += term;
    }
    return 2 / std::numbers::pi * (theta + s * sum);
  }
  double term = 1, sum = 1;
  for (int64_t k = 2; k <= df - 2; k += 2) {
    term *= c2 * double(k - 1) / double(k);
    sum += term;
  }
  return s * sum;
}

std::string one_value_why(int64_t n) {
  return n == 0 ? "no repetition has a value (no samples)"
                : "1 repetition with a value: an interval needs at least 2 (raise measure.repetitions)";
}

}  // namespace

double student_t_two_sided(double level, int64_t df) {
  ROOFLM_CHECK(level > 0 && level < 1, "confidence level outside (0, 1)");
  ROOFLM_CHECK(df >= 1, "a t distribution needs df >= 1");
  double lo = 0, hi = 1;
  while (t_two_sided_probability(hi, df) < level) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (t_two_sided_probability(mid, df) < level ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

ConfidenceInterval t_interval(std::span<const double> values, double level) {
  ConfidenceInterval ci;
  ci.level = level;
  ci.n = int64_t(values.size());
  if (values.empty()) {
    ci.mean = NAN;
    ci.why = one_value_why(0);
    return ci;
  }
  double sum = 0;
  for (double v : values) sum += v;
  ci.mean = sum / double(ci.n);
  if (ci.n < 2) {
    ci.why = one_value_why(ci.n);
    return ci;
  }
  double squares = 0;
  for (double v : values) squares += (v - ci.mean) * (v - ci.mean);
  const double half = student_t_two_sided(level, ci.n - 1) * std::sqrt(squares / double(ci.n - 1) / double(ci.n));
  ci.lo = ci.mean - half;
  ci.hi = ci.mean + half;
  return ci;
}

nlohmann::json ConfidenceInterval::to_json() const {
  nlohmann::json out = {{"method", kCiMethod},
                        {"level", level},
                        {"n", n},
                        {"mean", std::isfinite(mean) ? nlohmann::json(mean) : nlohmann::json(nullptr)},
                        {"lo", lo ? nlohmann::json(*lo) : nlohmann::json(nullptr)},
                        {"hi", hi ? nlohmann::json(*hi) : nlohmann::json(nullptr)}};
  if (!why.empty()) out["why"] = why;
  return out;
}

nlohmann::json repetition_intervals(std::span<const Summary> repetitions, std::span<const double> percentiles) {
  nlohmann::json out = nlohmann::json::object();
  auto add = [&](const std::string& key, auto value_of) {
    std::vector<double> values;
    for (const Summary& s : repetitions)
      if (const std::optional<double> v = value_of(s)) values.push_back(*v);
    out[key] = t_interval(values).to_json();
  };
  const std::pair<const char*, Stats Summary::*> latencies[] = {
      {"ttft_ms", &Summary::ttft_ms}, {"tpot_ms", &Summary::tpot_ms}, {"e2e_ms", &Summary::e2e_ms}};
  for (const auto& latency : latencies) {
    const Stats Summary::*member = latency.second;  // a named copy: lambdas cannot capture a structured binding (C++17, clang < 16)
    for (double p : percentiles)
      add(std::string(latency.first) + "." + percentile_name(p), [&](const Summary& s) -> std::optional<double> {
        const Stats& stats = s.*member;
        if (stats.count == 0) return std::nullopt;
        return stats.percentile(p);
      });
  }
  // Rates are defined only over a window of positive length (summarize leaves them 0 otherwise).
  auto rate = [](auto get) {
    return [get](const Summary& s) -> std::optional<double> {
      if (s.duration_s <= 0) return std::nullopt;
      return get(s);
    };
  };
  add("output_tok_s", rate([](const Summary& s) { return s.throughput.output_tok_s; }));
  add("req_s", rate([](const Summary& s) { return s.throughput.req_s; }));
  add("goodput_req_s", rate([](const Summary& s) { return s.goodput_req_s; }));
  add("goodput_tok_s", rate([](const Summary& s) { return s.goodput_tok_s; }));
  return out;
}

}  // namespace rooflm
