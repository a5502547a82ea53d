// CappedKvCache (tests only): a contiguous cache that also refuses to hold more than `cap_tokens`
// tokens in total, so that growing sequences run out of KV memory the way paged ones do and the
// scheduler must preempt.
#pragma once

#include <unordered_map>

#include "engine/kv/contiguous_kv_cache.h"

namespace rooflm {

class CappedKvCache final : public KvCache {
 public:
  CappedKvCache(KvGeometry geom, int64_t cap_tokens) : inner_(geom), cap_tokens_(cap_tokens) {}

  KvLayout layout() const override { return inner_.layout(); }
  KvGeometry geometry() const override { return inner_.geometry(); }
  void bind(KvStorage storage) override { inner_.bind(storage); }
  bool can_admit(int64_t max_tokens) const override {
    return held_ < cap_tokens_ && inner_.can_admit(max_tokens);
  }
  bool reserve(SeqId seq, int64_t n_new_tokens) override {
    if (held_ + n_new_tokens > cap_tokens_ || !inner_.reserve(seq, n_new_tokens)) return false;
    held_ += n_new_tokens;
    tokens_[seq] += n_new_tokens;
    return true;
  }
  void commit(SeqId seq, std::span<const int32_t> tokens) override { inner_.commit(seq, tokens); }
  int64_t length(SeqId seq) const override { return inner_.length(seq); }
  void release(SeqId seq) override {
    inner_.release(seq);
    held_ -= tokens_[seq];
    tokens_.erase(seq);
  }
  KvView view(std::span<const SeqId> seqs) override { return inner_.view(seqs); }
  KvStats stats() const override { return inner_.stats(); }

  int64_t held_tokens() const { return held_; }

 private:
  ContiguousKvCache inner_;
  int64_t cap_tokens_;
  int64_t held_ = 0;  // reserved tokens over all sequences
  std::unordered_map<SeqId, int64_t> tokens_;
};

}  // namespace rooflm
