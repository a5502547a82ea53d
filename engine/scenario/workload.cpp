// Workload generation with our own transforms of std::mt19937_64 output (uniform integers by
// rejection, Box–Muller normals, -ln(U)/rate exponential gaps, Marsaglia–Tsang gamma gaps), so
// the same seed gives the same requests with every standard library. Streams are independent: arrivals come from one stream
// and each request's lengths and tokens from a stream keyed by its id, so changing the arrival
// rate or the request count leaves the other requests' contents unchanged. The tokens of a
// mooncake trace's hash id come from a stream keyed by the id, so every line naming it shares them.
#include "engine/scenario/workload.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "common/error.h"
#include "engine/scenario/arrival_ramp.h"
#include "engine/scenario/scenario_limits.h"

namespace rooflm {
namespace {

constexpr uint64_t kArrivalStream = 1;       // inter-arrival gaps
constexpr uint64_t kRequestStream = 2;       // one request's lengths and prompt tokens
constexpr uint64_t kSamplingSeedStream = 3;  // the request's sampling seed
constexpr uint64_t kPrefixStream = 4;        // one shared-prefix group's tokens
constexpr uint64_t kHashBlockStream = 5;     // the tokens of one trace hash id (a mooncake block)

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// hash(workload seed, stream, index): decorrelated seeds for each stream and request.
uint64_t hash_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  return splitmix64(splitmix64(seed ^ splitmix64(stream)) ^ index);
}

// Uniform in (0, 1]: never 0, so log() is finite.
double uniform_open_closed(std::mt19937_64& rng) { return double((rng() >> 11) + 1) * 0x1.0p-53; }

// Uniform integer in [lo, hi], unbiased (rejects the top partial block of 2^64).
int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  ROOFLM_CHECK(0 <= lo && lo <= hi, "uniform_int range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  const uint64_t span = uint64_t(hi - lo) + 1;
  const uint64_t limit = ~uint64_t(0) - (~uint64_t(0) % span + 1) % span;
  uint64_t draw = rng();
  while (draw > limit) draw = rng();
  return int64_t(uint64_t(lo) + draw % span);
}

// Standard normal by Box–Muller (the cosine half; one pair of uniforms per draw).
double standard_normal(std::mt19937_64& rng) {
  const double radius = std::sqrt(-2.0 * std::log(uniform_open_closed(rng)));
  return radius * std::cos(2.0 * std::numbers::pi * uniform_open_closed(rng));
}

// Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1) * U^(1/shape).
double standard_gamma(double shape, std::mt19937_64& rng) {
  if (shape < 1) return standard_gamma(shape + 1, rng) * std::pow(uniform_open_closed(rng), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    const double x = standard_normal(rng);
    const double v = std::pow(1.0 + c * x, 3);
    if (v <= 0) continue;
    if (std::log(uniform_open_closed(rng)) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

// Gap before the next arrival (seconds).
double arrival_gap(const ArrivalSpec& arrival, std::mt19937_64& rng) {
  switch (arrival.process) {
    case ArrivalSpec::Process::poisson:
      return -std::log(uniform_open_closed(rng)) / arrival.rate;
    case ArrivalSpec::Process::gamma: {
      // Shape k (1/cv^2, or vLLM's burstiness) and scale 1/(rate k): mean gap 1/rate, std 1/(rate sqrt(k)).
      const double shape = arrival.gamma_shape();
      return standard_gamma(shape, rng) / (arrival.rate * shape);
    }
    default:
      return 0;
  }
}

// With a ramp: the gap in expected arrivals (mean 1), mapped to time by arrival_ramp.h.
double unit_arrival_gap(const ArrivalSpec& arrival, std::mt19937_64& rng) {
  switch (arrival.process) {
    case ArrivalSpec::Process::poisson:
      return -std::log(uniform_open_closed(rng));
    case ArrivalSpec::Process::gamma: {
      const double shape = arrival.gamma_shape();
      return standard_gamma(shape, rng) / shape;
    }
    default:
      return 1;  // constant
  }
}

// The prompt of a mooncake trace line: block j of the prompt holds the tokens of hash id j (the same
// tokens wherever the id appears, so lines that share leading ids share that prefix), the last block
// cut at the prompt's length.
void append_hash_blocks(const TraceEntry& entry, int64_t block_size, uint64_t seed, int64_t vocab,
                        std::vector<int32_t>& prompt) {
  const size_t end = prompt.size() + size_t(entry.prompt_len);
  for (const int64_t id : entry.hash_ids) {
    std::mt19937_64 rng(hash_seed(seed, kHashBlockStream, uint64_t(id)));
    for (int64_t i = 0; i < block_size && prompt.size() < end; ++i) prompt.push_back(int32_t(uniform_int(rng, 0, vocab - 1)));
  }
}

int64_t round_and_clamp(double x, int64_t lo, int64_t hi) {
  return std::llround(std::clamp(x, double(lo), double(hi)));
}

// Where request `index`'s lengths come from, for messages.
std::string request_lengths(const WorkloadSpec& spec, int64_t index, int64_t prefix_len, int64_t own_len,
                            int64_t output_len) {
  const std::string source = spec.arrival.process == ArrivalSpec::Process::trace
                                 ? "trace " + spec.arrival.file.string() + " entry " + std::to_string(index + 1)
                             : spec.sharegpt ? "workload request " + std::to_string(index) + " (a pair of " +
                                                   spec.sharegpt->file.string() + ")"
                                             : "workload request " + std::to_string(index);
  std::string prompt = std::to_string(prefix_len + own_len);
  if (prefix_len > 0)
    prompt += " (workload.shared_prefix.length " + std::to_string(prefix_len) + " + prompt_len " + std::to_string(own_len) + ")";
  return source + ": prompt " + prompt + " + output_len " + std::to_string(output_len) + " = " +
         std::to_string(prefix_len + own_len + output_len) + " tokens";
}

}  // namespace

int64_t draw_length(const LengthDist& dist, std::mt19937_64& rng) {
  switch (dist.kind) {
    case LengthDist::Kind::fixed:
      return round_and_clamp(dist.value, dist.min, dist.max);
    case LengthDist::Kind::uniform:
      return uniform_int(rng, dist.min, dist.max);
    case LengthDist::Kind::normal:
      return round_and_clamp(dist.mean + dist.std * standard_normal(rng), dist.min, dist.max);
    case LengthDist::Kind::lognormal: {
      // mean m and std s of the lengths -> the underlying normal's mu and sigma:
      // sigma^2 = ln(1 + s^2/m^2), mu = ln(m) - sigma^2/2.
      const double sigma2 = std::log1p((dist.std * dist.std) / (dist.mean * dist.mean));
      const double mu = std::log(dist.mean) - sigma2 / 2;
      return round_and_clamp(std::exp(mu + std::sqrt(sigma2) * standard_normal(rng)), dist.min, dist.max);
    }
    case LengthDist::Kind::dataset:
      ROOFLM_CHECK(!dist.values.empty(), "a dataset length distribution holds values");
      return round_and_clamp(double(dist.values[size_t(uniform_int(rng, 0, int64_t(dist.values.size()) - 1))]),
                             dist.min, dist.max);
  }
  ROOFLM_CHECK(false, "unknown LengthDist kind");
}

std::vector<Request> generate_workload(const WorkloadSpec& spec, int64_t vocab, int64_t max_positions) {
  ROOFLM_CHECK(vocab >= 1, "vocab " + std::to_string(vocab));
  const ArrivalSpec& arrival_spec = spec.arrival;
  const bool traced = arrival_spec.process == ArrivalSpec::Process::trace;
  ROOFLM_CHECK(!traced || int64_t(arrival_spec.trace.size()) >= spec.requests, "the trace has a line per request");

  // Shared-prefix groups: `length` tokens each, from their own stream; a request adds at least one
  // prompt and one output token.
  const SharedPrefixSpec& shared = spec.shared_prefix;
  if (shared.groups > 0 && shared.length + 2 > max_positions)
    throw InputError("workload.shared_prefix.length = " + std::to_string(shared.length) +
                     " leaves no room for a prompt and an output token in the model's max_positions " +
                     std::to_string(max_positions));
  if (shared.groups * shared.length > kMaxWorkloadTokens)
    throw InputError("workload.shared_prefix: " + std::to_string(shared.groups) + " groups x " +
                     std::to_string(shared.length) + " tokens exceed the limit of " +
                     std::to_string(kMaxWorkloadTokens) + " workload tokens");
  std::vector<std::vector<int32_t>> prefixes(size_t(shared.groups));
  for (size_t g = 0; g < prefixes.size(); ++g) {
    std::mt19937_64 rng(hash_seed(spec.seed, kPrefixStream, g));
    prefixes[g].resize(size_t(shared.length));
    for (int32_t& token : prefixes[g]) token = int32_t(uniform_int(rng, 0, vocab - 1));
  }
  int64_t workload_tokens = shared.groups * shared.length;  // prompt tokens held, each sample's copy counted

  std::mt19937_64 arrival_rng(hash_seed(spec.seed, kArrivalStream, 0));
  std::vector<Request> requests;
  requests.reserve(size_t(spec.requests * spec.n));
  double arrival = 0;  // the first request arrives at 0; gaps follow it
  double expected_arrivals = 0;  // with a ramp: the running sum of unit gaps
  for (int64_t index = 0; index < spec.requests; ++index) {
    if (traced) {
      arrival = arrival_spec.trace[size_t(index)].arrival;
    } else if (arrival_spec.ramp) {
      if (index > 0) expected_arrivals += unit_arrival_gap(arrival_spec, arrival_rng);
      arrival = ramp_arrival_time(*arrival_spec.ramp, expected_arrivals);
    } else if (arrival_spec.process == ArrivalSpec::Process::constant) {
      arrival = double(index) / arrival_spec.rate;
    } else if (index > 0) {
      arrival += arrival_gap(arrival_spec, arrival_rng);
    }

    std::mt19937_64 rng(hash_seed(spec.seed, kRequestStream, uint64_t(index)));
    const std::vector<int32_t> no_prefix;
    const std::vector<int32_t>& prefix = prefixes.empty() ? no_prefix : prefixes[size_t(index) % prefixes.size()];
    if (arrival > kMaxArrivalSeconds)
      throw InputError("workload request " + std::to_string(index) + " arrives at " + std::to_string(arrival) +
                       " s, beyond the limit of " + std::to_string(int64_t(kMaxArrivalSeconds)) +
                       " s (a day): raise workload.arrival.rate or lower workload.requests");
    const ConversationPair* pair = nullptr;
    if (spec.sharegpt) {
      const std::vector<ConversationPair>& pairs = spec.sharegpt->pairs;
      ROOFLM_CHECK(!pairs.empty(), "a ShareGPT workload holds pairs");
      pair = &pairs[size_t(uniform_int(rng, 0, int64_t(pairs.size()) - 1))];
    }
    const int64_t own_len = traced ? arrival_spec.trace[size_t(index)].prompt_len
                            : pair ? pair->prompt_len
                                   : draw_length(spec.prompt_len, rng);
    const int64_t prompt_len = int64_t(prefix.size()) + own_len;
    const int64_t output_len = traced ? arrival_spec.trace[size_t(index)].output_len
                               : pair ? pair->output_len
                                      : draw_length(spec.output_len, rng);
    if (prompt_len + output_len > max_positions)
      throw InputError(request_lengths(spec, index, int64_t(prefix.size()), own_len, output_len) +
                       " exceed the model's max_positions " + std::to_string(max_positions) +
                       " (lengths are not shortened: lower them, or their \"max\")");
    workload_tokens += prompt_len * spec.n;
    if (workload_tokens > kMaxWorkloadTokens)
      throw InputError("workload: the prompts up to request " + std::to_string(index) + " (x n = " +
                       std::to_string(spec.n) + " samples) hold more than " + std::to_string(kMaxWorkloadTokens) +
                       " tokens, the limit of one workload: lower workload.requests, n or the prompt lengths");

    Request request;
    request.group = index;
    request.n_samples = spec.n;
    request.arrival = arrival;
    // Closed loop: `concurrency` requests start at 0; each later one arrives when one finishes.
    request.arrives_on_finish =
        arrival_spec.process == ArrivalSpec::Process::closed_loop && index >= arrival_spec.concurrency;
    request.prompt.assign(prefix.begin(), prefix.end());
    if (traced) append_hash_blocks(arrival_spec.trace[size_t(index)], arrival_spec.block_size, spec.seed, vocab, request.prompt);
    while (int64_t(request.prompt.size()) < prompt_len) request.prompt.push_back(int32_t(uniform_int(rng, 0, vocab - 1)));
    request.max_output = output_len;
    request.sampling = spec.sampling;
    const uint64_t request_seed = hash_seed(spec.seed, kSamplingSeedStream, uint64_t(index));
    for (int64_t sample = 0; sample < spec.n; ++sample) {
      request.id = index * spec.n + sample;
      request.sample_index = sample;
      request.seed = sample == 0 ? request_seed : splitmix64(request_seed ^ uint64_t(sample));
      requests.push_back(request);
    }
  }
  return requests;
}

}  // namespace rooflm
