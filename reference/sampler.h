// The host sampler, the reference of every sampler (greedy; seeded temperature / top-k / top-p).
// Seeded sampling draws from a counter-based generator keyed by (seed, position), so the token a
// request samples does not depend on how it was batched. SamplingParams: common/sampling.h.
#pragma once

#include <cstdint>
#include <span>

#include "common/sampling.h"

namespace rooflm::ref {

// Returns the sampled token id from `logits` [vocab]: argmax (lowest index on ties) when
// temperature <= 0 or top_k == 1; else temperature -> top-k -> top-p -> one uniform draw.
int32_t sample_token(std::span<const float> logits, const SamplingParams& params, uint64_t seed,
                     int64_t position);

}  // namespace rooflm::ref
