// Row-by-row application of the host sampler (see sampling.h).
#include "reference/sampling.h"

#include <span>

#include "reference/sampler.h"

namespace rooflm::ref {

std::vector<int32_t> argmax_rows(const float* logits, int64_t n_rows, int64_t vocab) {
  std::vector<int32_t> tokens(size_t(n_rows), 0);
  const SamplingParams greedy;  // temperature 0
  for (int64_t r = 0; r < n_rows; ++r)
    tokens[size_t(r)] = sample_token(std::span<const float>(logits + r * vocab, size_t(vocab)), greedy, 0, 0);
  return tokens;
}

std::vector<int32_t> sample_rows(const float* logits, const SamplingParams* params, const uint64_t* seeds,
                                 const int64_t* positions, int64_t n_rows, int64_t vocab) {
  std::vector<int32_t> tokens(size_t(n_rows), 0);
  for (int64_t r = 0; r < n_rows; ++r)
    tokens[size_t(r)] = sample_token(std::span<const float>(logits + r * vocab, size_t(vocab)), params[r],
                                     seeds[r], positions[r]);
  return tokens;
}

}  // namespace rooflm::ref
