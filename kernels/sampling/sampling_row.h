// SamplingRow: what the GPU sampler needs to know about one row of logits (one sequence), a plain
// struct copied to device memory as an array [n_rows]. The fields mean what engine/runtime/
// sampling.h's SamplingParams and the per-request seed mean for the host sampler.
#pragma once

#include <cstdint>

namespace rooflm {

struct SamplingRow {
  float temperature = 0.0f;  // <= 0: greedy (argmax)
  int32_t top_k = 0;         // 0: off; 1: greedy
  float top_p = 1.0f;        // >= 1: off
  int32_t reserved = 0;      // keeps the 64-bit fields 8-byte aligned; unused
  uint64_t seed = 0;         // per-request seed
  int64_t position = 0;      // position of the sampled token: the draw is keyed by (seed, position)
};
static_assert(sizeof(SamplingRow) == 32, "SamplingRow is copied to the device as is");

}  // namespace rooflm
