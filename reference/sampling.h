// Row-by-row references of the GPU samplers: the host sampler (reference/sampler.h) applied to
// each row, so a GPU token that differs from these differs from what the cpu backend samples.
#pragma once

#include <cstdint>
#include <vector>

#include "common/sampling.h"

namespace rooflm::ref {

// Greedy token of each row (lowest index on ties).           logits: [n_rows, vocab]
std::vector<int32_t> argmax_rows(const float* logits, int64_t n_rows, int64_t vocab);

// Host sampler's token of each row r for params[r], keyed by (seeds[r], positions[r]).
//   logits: [n_rows, vocab]; params, seeds, positions: [n_rows]
std::vector<int32_t> sample_rows(const float* logits, const SamplingParams* params, const uint64_t* seeds,
                                 const int64_t* positions, int64_t n_rows, int64_t vocab);

}  // namespace rooflm::ref
