// ContiguousKvCache: each live sequence owns one slot of max_seq_len tokens, reserved whole at
// admission (what systems without paging do). Slots are handed out lowest-first.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "engine/kv/kv_cache.h"

namespace rooflm {

class ContiguousKvCache final : public KvCache {
 public:
  // geom.block_size is the slot length (max_seq_len); geom.num_blocks the number of slots.
  explicit ContiguousKvCache(KvGeometry geom);

  KvLayout layout() const override { return KvLayout::contiguous; }
  KvGeometry geometry() const override { return geom_; }
  void bind(KvStorage storage) override { storage_ = storage; }

  bool can_admit(int64_t max_tokens) const override;
  bool reserve(SeqId seq, int64_t n_new_tokens) override;
  void commit(SeqId seq, std::span<const int32_t> tokens) override;
  int64_t length(SeqId seq) const override;
  void release(SeqId seq) override;

  KvView view(std::span<const SeqId> seqs) override;
  KvStats stats() const override;

 private:
  struct Slot {
    int32_t index = -1;
    int64_t length = 0;   // tokens with written KV
    int64_t pending = 0;  // reserved for the step in flight
  };

  KvGeometry geom_;
  KvStorage storage_;
  std::vector<int32_t> free_slots_;  // kept sorted descending so back() is the lowest
  std::unordered_map<SeqId, Slot> seqs_;
  std::vector<int32_t> table_;       // [n_seqs, 1] of the last view()
  int64_t peak_live_ = 0;
};

}  // namespace rooflm
