// Sampling parameters of a request (greedy; seeded temperature / top-k / top-p). The host sampler
// that applies them, rooflm::ref::sample_token, is in reference/sampler.h.
#pragma once

#include <cstdint>

namespace rooflm {

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy (argmax)
  int32_t top_k = 0;         // 0: off
  float top_p = 1.0f;        // 1: off
};

}  // namespace rooflm
