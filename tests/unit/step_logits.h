// The logits of a prefill and single-token decode steps on one sequence: what the tests that
// compare two backends (or two ways of loading one) step by step record.
#pragma once

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "tests/unit/plan_builders.h"

namespace rooflm::test {

// One step of `chunks` on `kv` (reserve, forward, commit): the logits of each sampled chunk.
inline std::vector<std::vector<float>> step_logits(Backend& backend, KvCache& kv, std::vector<SeqChunk> chunks) {
  BatchPlan plan;
  plan.chunks = std::move(chunks);
  for (auto& ch : plan.chunks) EXPECT_TRUE(kv.reserve(ch.seq, ch.n_tokens()));
  StepOutput out = backend.forward(plan, kv.view(plan.seqs()), true);
  for (auto& ch : plan.chunks) kv.commit(ch.seq, ch.tokens);
  return out.logits;
}

// Prefill `prompt`, then decode `decode` one token per step, on sequence 0 of `kv` (bound to
// `backend`'s storage): the sampled row's logits of every step.
inline std::vector<std::vector<float>> prefill_decode_logits(Backend& backend, ContiguousKvCache& kv,
                                                             const std::vector<int32_t>& prompt,
                                                             const std::vector<int32_t>& decode) {
  std::vector<SeqChunk> steps = {make_chunk(0, 0, prompt)};
  for (size_t i = 0; i < decode.size(); ++i) steps.push_back(make_chunk(0, int64_t(prompt.size() + i), {decode[i]}));
  std::vector<std::vector<float>> logits;
  for (SeqChunk& ch : steps) {
    BatchPlan plan;
    plan.chunks = {ch};
    EXPECT_TRUE(kv.reserve(ch.seq, ch.n_tokens()));
    logits.push_back(backend.forward(plan, kv.view(plan.seqs()), true).logits[0]);
    kv.commit(ch.seq, ch.tokens);
  }
  return logits;
}

}  // namespace rooflm::test
