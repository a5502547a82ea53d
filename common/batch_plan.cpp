// BatchPlan token counts.
#include "common/batch_plan.h"

namespace rooflm {

int64_t BatchPlan::n_tokens() const {
  int64_t n = 0;
  for (const auto& c : chunks) n += c.n_tokens();
  return n;
}

int64_t BatchPlan::n_prefill_tokens() const {
  int64_t n = 0;
  for (const auto& c : chunks)
    if (c.is_prefill) n += c.n_tokens();
  return n;
}

int64_t BatchPlan::n_decode_tokens() const { return n_tokens() - n_prefill_tokens(); }

std::vector<SeqId> BatchPlan::seqs() const {
  std::vector<SeqId> out;
  out.reserve(chunks.size());
  for (const auto& c : chunks) out.push_back(c.seq);
  return out;
}

}  // namespace rooflm
