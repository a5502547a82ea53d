// Row-by-row application of the host sampler (see sampling_ref.h).
#include "kernels/reference/sampling_ref.h"

#include <span>

#include "common/sampling.h"

namespace rooflm::ref {

std::vector<int32_t> argmax_rows(const float* logits, int64_t n_rows, int64_t vocab) {
  std::vector<int32_t> tokens(size_t(n_rows), 0);
  const SamplingParams greedy;  // temperature 0
  for (int64_t r = 0; r < n_rows; ++r)
    tokens[size_t(r)] = sample_token(std::span<const float>(logits + r * vocab, size_t(vocab)), greedy, 0, 0);
  return tokens;
}

std::vector<int32_t> sample_rows(const float* logits, const SamplingRow* rows, int64_t n_rows, int64_t vocab) {
  std::vector<int32_t> tokens(size_t(n_rows), 0);
  for (int64_t r = 0; r < n_rows; ++r) {
    const SamplingParams params{rows[r].temperature, rows[r].top_k, rows[r].top_p};
    tokens[size_t(r)] = sample_token(std::span<const float>(logits + r * vocab, size_t(vocab)), params,
                                     rows[r].seed, rows[r].position);
  }
  return tokens;
}

}  // namespace rooflm::ref
