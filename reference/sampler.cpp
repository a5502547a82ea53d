// Host sampler (see sampler.h): greedy argmax, or temperature -> top-k -> top-p -> one uniform draw
// from a counter-based generator keyed by (seed, position), so batching never changes a sampled token.
#include "reference/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "common/synthetic_init.h"  // splitmix64

namespace rooflm::ref {
namespace {

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (int32_t i = 1; i < int32_t(logits.size()); ++i)
    if (logits[i] > logits[best]) best = i;  // ties keep the lowest index
  return best;
}

}  // namespace

int32_t sample_token(std::span<const float> logits, const SamplingParams& params, uint64_t seed,
                     int64_t position) {
  if (params.temperature <= 0.0f || params.top_k == 1) return argmax(logits);

  // Candidates sorted by logit, descending (index breaks ties so the order is total).
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const auto by_logit = [&](int32_t a, int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  };
  size_t keep = order.size();
  if (params.top_k > 0 && size_t(params.top_k) < keep) {
    keep = size_t(params.top_k);
    std::partial_sort(order.begin(), order.begin() + keep, order.end(), by_logit);
  } else {
    std::sort(order.begin(), order.end(), by_logit);
  }

  std::vector<double> probs(keep);
  const double max_logit = logits[order[0]];
  double total = 0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((double(logits[order[i]]) - max_logit) / params.temperature);
    total += probs[i];
  }
  if (params.top_p < 1.0f) {  // smallest prefix whose probability mass reaches top_p
    double mass = 0;
    size_t n = 0;
    while (n < keep) {
      mass += probs[n++] / total;
      if (mass >= params.top_p) break;
    }
    keep = n;
    total = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
  }

  const uint64_t bits = splitmix64(seed ^ splitmix64(uint64_t(position)));
  const double u = double(bits >> 11) * 0x1.0p-53 * total;
  double acc = 0;
  for (size_t i = 0; i < keep; ++i) {
    acc += probs[i];
    if (u < acc) return order[i];
  }
  return order[keep - 1];
}

}  // namespace rooflm::ref
