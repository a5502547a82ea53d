// Small builders shared by the tests that hand-write BatchPlans and batching policies.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "engine/scenario/scenario.h"
#include "common/batch_plan.h"

namespace rooflm::test {

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
