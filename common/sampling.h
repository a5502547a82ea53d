// Sampling parameters and the host sampler (greedy; seeded temperature / top-k / top-p).
// Seeded sampling draws from a counter-based generator keyed by (seed, position), so the token a
// request samples does not depend on how it was batched.
#pragma once

#include <cstdint>
#include <span>

namespace rooflm {

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy (argmax)
  int32_t top_k = 0;         // 0: off
  float top_p = 1.0f;        // 1: off
};

// Returns the sampled token id from `logits` [vocab].
int32_t sample_token(std::span<const float> logits, const SamplingParams& params, uint64_t seed,
                     int64_t position);

}  // namespace rooflm
