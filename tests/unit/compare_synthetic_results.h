// Synthetic results documents for the compare and gate tests: a run whose per-request TTFT/TPOT,
// per-step time and per-repetition throughput are drawn around given means with a seeded uniform
// jitter (+-jitter_fraction), then multiplied by `slowdown` (1.10 = every time 10% longer).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm::test {

struct SyntheticRunSpec {
  std::string label = "default";
  uint64_t seed = 1;
  int64_t n_requests = 40, n_output = 4, n_steps = 60, n_repetitions = 3;
  double ttft_s = 0.100, tpot_s = 0.020, step_s = 0.010, output_tok_s = 1000;
  double jitter_fraction = 0.03;
  double slowdown = 1.0;
};

// Uniform in [0, 1) from the top 53 bits: the same on every platform (std distributions are not).
inline double unit_uniform(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

inline nlohmann::json synthetic_run(const SyntheticRunSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  auto jitter = [&](double mean) { return mean * (1 + spec.jitter_fraction * (2 * unit_uniform(rng) - 1)) * spec.slowdown; };
  nlohmann::json requests = nlohmann::json::array(), steps = nlohmann::json::array(),
                 repetitions = nlohmann::json::array();
  for (int64_t i = 0; i < spec.n_requests; ++i) {
    const double arrival = 0.5 * double(i);
    nlohmann::json token_times = nlohmann::json::array();
    double t = arrival + jitter(spec.ttft_s);
    const double first_token = t;
    token_times.push_back(t);
    for (int64_t k = 1; k < spec.n_output; ++k) token_times.push_back(t += jitter(spec.tpot_s));
    requests.push_back({{"id", i}, {"arrival", arrival}, {"first_token", first_token}, {"finish", t},
                        {"n_output", spec.n_output}, {"token_times", token_times}, {"failed", false}});
  }
  for (int64_t i = 0; i < spec.n_steps; ++i) steps.push_back({{"index", i}, {"seconds", jitter(spec.step_s)}});
  for (int64_t i = 0; i < spec.n_repetitions; ++i)
    repetitions.push_back({{"throughput", {{"output_tok_s", spec.output_tok_s / jitter(1.0)}}}, {"goodput_req_s", 1.0},
                           {"goodput_tok_s", spec.output_tok_s / jitter(1.0)}});
  return {{"variant", {{"label", spec.label}, {"backend", "sim"}, {"gpu", "h100_sxm"}}},
          {"model", {{"name", "llama-2-7b"}}},
          {"summary", {{"requests", {{"completed", spec.n_requests}, {"failed", 0}}}}},
          {"repetitions", repetitions},
          {"roofline", {{"invalid_reasons", nlohmann::json::array()}}},
          {"valid", true},
          {"requests", requests},
          {"steps", steps}};
}

inline nlohmann::json synthetic_results_with_runs(const std::vector<nlohmann::json>& runs) {
  return {{"schema", "rooflm.result/1"},
          {"environment", {{"gpu", "NVIDIA H100 80GB HBM3"}, {"clocks", {{"sm_mhz", 1980}}}}},
          {"scenario", {{"name", "synthetic"}, {"resolved", {{"workload", {{"requests", 40}}}, {"model", {{"preset", "llama-2-7b"}}}}}}},
          {"runs", runs}};
}

inline nlohmann::json synthetic_results(const SyntheticRunSpec& spec) { return synthetic_results_with_runs({synthetic_run(spec)}); }

}  // namespace rooflm::test
