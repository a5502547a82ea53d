// CPU references of the GPU samplers. The host sampler (engine/runtime/sampler.cpp) IS the
// reference: these apply it row by row, so a GPU token that differs from these differs from what
// the CPU backend would have sampled.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/sampling/sampling_row.h"

namespace rooflm::ref {

// Greedy token of each row (lowest index on ties).           logits: [n_rows, vocab]
std::vector<int32_t> argmax_rows(const float* logits, int64_t n_rows, int64_t vocab);

// Host sampler's token of each row for rows[r]'s parameters. logits: [n_rows, vocab]; rows: [n_rows]
std::vector<int32_t> sample_rows(const float* logits, const SamplingRow* rows, int64_t n_rows, int64_t vocab);

}  // namespace rooflm::ref
