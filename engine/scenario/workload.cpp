// Workload generation with our own transforms of std::mt19937_64 output (uniform integers by
// rejection, Box–Muller normals, -ln(U)/rate exponential gaps), so the same seed gives the same
// requests with every standard library. Streams are independent: arrivals come from one stream
// and each request's lengths and tokens from a stream keyed by its id, so changing the arrival
// rate or the request count leaves the other requests' contents unchanged.
#include "engine/scenario/workload.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/common/error.h"

namespace rooflm {
namespace {

constexpr uint64_t kArrivalStream = 1;       // inter-arrival gaps
constexpr uint64_t kRequestStream = 2;       // one request's lengths and prompt tokens
constexpr uint64_t kSamplingSeedStream = 3;  // the request's sampling seed

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

int64_t round_and_clamp(double x, int64_t lo, int64_t hi) {
  return std::llround(std::clamp(x, double(lo), double(hi)));
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
  }
  ROOFLM_CHECK(false, "unknown LengthDist kind");
}

std::vector<Request> generate_workload(const WorkloadSpec& spec, int64_t vocab, int64_t max_positions) {
  ROOFLM_CHECK(vocab >= 1, "vocab " + std::to_string(vocab));
  ROOFLM_CHECK(max_positions >= 2, "max_positions " + std::to_string(max_positions) +
                                       " leaves no room for a prompt token and an output token");
  std::mt19937_64 arrival_rng(hash_seed(spec.seed, kArrivalStream, 0));
  std::vector<Request> requests(size_t(spec.requests));
  double arrival = 0;  // the first request arrives at 0; poisson gaps follow it
  for (int64_t id = 0; id < spec.requests; ++id) {
    if (id > 0 && spec.arrival.process == ArrivalSpec::Process::poisson)
      arrival += -std::log(uniform_open_closed(arrival_rng)) / spec.arrival.rate;
    if (id > 0 && spec.arrival.process == ArrivalSpec::Process::constant) arrival = double(id) / spec.arrival.rate;

    std::mt19937_64 rng(hash_seed(spec.seed, kRequestStream, uint64_t(id)));
    const int64_t prompt_len = std::min(draw_length(spec.prompt_len, rng), max_positions - 1);
    const int64_t output_len = std::min(draw_length(spec.output_len, rng), max_positions - prompt_len);

    Request& request = requests[size_t(id)];
    request.id = id;
    request.arrival = arrival;
    request.prompt.resize(size_t(prompt_len));
    for (int32_t& token : request.prompt) token = int32_t(uniform_int(rng, 0, vocab - 1));
    request.max_output = output_len;
    request.sampling = spec.sampling;
    request.seed = hash_seed(spec.seed, kSamplingSeedStream, uint64_t(id));
  }
  return requests;
}

}  // namespace rooflm
