// sample_f16: seeded temperature / top-k / top-p sampling on the GPU that reproduces the host
// sampler (engine/runtime/sampler.cpp) token for token: same candidate order (logit descending,
// index ascending on ties), same double-precision probabilities exp((l - max) / T), same top-p
// rule (smallest prefix whose mass reaches top_p), same draw u = splitmix64(seed ^
// splitmix64(position)) >> 11 scaled to [0, total). Rows with temperature <= 0 or top_k == 1 are
// greedy. Logits must not hold NaN.
// Exactness: the host sums probabilities left to right, the GPU in a tree; the two sums differ in
// the last bits (~1e-16 relative), which changes the token only when u or top_p falls within that
// distance of a cumulative boundary (probability ~1e-15 per draw).
// Steps: one radix sort of all rows at once (key = row, then order-preserving 16-bit logit key),
// then one block per row scans the sorted candidates.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/sampling/sampling_row.h"

namespace rooflm {

// True when n_rows fits the sort key (1 <= n_rows <= 65536) and vocab in [1, 2^31 / n_rows).
bool sample_f16_supported(int64_t n_rows, int64_t vocab);

// Device scratch sample_f16 needs for this shape.
size_t sample_f16_scratch_bytes(int64_t n_rows, int64_t vocab);

// logits: [n_rows, vocab]; rows: [n_rows] (device); tokens: [n_rows] int32 (device);
// scratch: [scratch_bytes] device, at least sample_f16_scratch_bytes(n_rows, vocab)
void sample_f16(const __half* logits, const SamplingRow* rows, int32_t* tokens, int64_t n_rows, int64_t vocab,
                void* scratch, size_t scratch_bytes, cudaStream_t stream);

}  // namespace rooflm
