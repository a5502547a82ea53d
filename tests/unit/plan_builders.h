// Small builders shared by the tests that hand-write BatchPlans, batching policies and prompts.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "engine/scenario/scenario.h"
#include "common/batch_plan.h"

namespace rooflm::test {

// `n` token ids in [0, vocab), drawn from `seed` (the prompts the backend-comparing tests feed).
inline std::vector<int32_t> random_tokens(size_t n, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = int32_t(rng() % uint32_t(vocab));
  return t;
}

// Chunk of `tokens` of sequence `seq` at positions [start, start + tokens.size()); a prompt chunk
// when it starts at 0.
inline SeqChunk make_chunk(SeqId seq, int64_t start, std::vector<int32_t> tokens, bool sample = true) {
  SeqChunk ch;
  ch.seq = seq;
  ch.start_pos = start;
  ch.tokens = std::move(tokens);
  ch.sample = sample;
  ch.is_prefill = start == 0;
  return ch;
}

inline BatchingSpec continuous_batching(int64_t max_num_seqs, int64_t budget, bool chunked) {
  BatchingSpec spec;
  spec.policy = BatchingPolicy::continuous;
  spec.max_batch = max_num_seqs;
  spec.max_batched_tokens = budget;
  spec.chunked_prefill = chunked;
  return spec;
}

}  // namespace rooflm::test
