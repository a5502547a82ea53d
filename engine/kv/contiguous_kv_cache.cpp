// ContiguousKvCache implementation.
#include "engine/kv/contiguous_kv_cache.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace rooflm {

nlohmann::json KvStats::to_json() const {
  return {{"capacity_tokens", capacity_tokens}, {"reserved_tokens", reserved_tokens},
          {"used_tokens", used_tokens},         {"live_seqs", live_seqs},
          {"peak_live_seqs", peak_live_seqs},     {"prefix_query_tokens", prefix_query_tokens},
          {"prefix_hit_tokens", prefix_hit_tokens}};
}

ContiguousKvCache::ContiguousKvCache(KvGeometry geom) : geom_(geom) {
  ROOFLM_CHECK(geom.block_size > 0 && geom.num_blocks > 0, "contiguous KV cache needs slots");
  for (int64_t i = geom.num_blocks - 1; i >= 0; --i) free_slots_.push_back(int32_t(i));
}

bool ContiguousKvCache::can_admit(int64_t max_tokens) const {
  return !free_slots_.empty() && max_tokens <= geom_.block_size;
}

bool ContiguousKvCache::reserve(SeqId seq, int64_t n_new_tokens) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) {
    if (free_slots_.empty()) return false;
    Slot slot;
    slot.index = free_slots_.back();
    free_slots_.pop_back();
    it = seqs_.emplace(seq, slot).first;
    peak_live_ = std::max<int64_t>(peak_live_, int64_t(seqs_.size()));
  }
  Slot& s = it->second;
  ROOFLM_CHECK(s.length + s.pending + n_new_tokens <= geom_.block_size,
               "sequence " + std::to_string(seq) + " needs " +
                   std::to_string(s.length + s.pending + n_new_tokens) +
                   " tokens but a contiguous slot holds " + std::to_string(geom_.block_size));
  s.pending += n_new_tokens;
  return true;
}

void ContiguousKvCache::commit(SeqId seq, std::span<const int32_t> tokens) {
  const int64_t n = int64_t(tokens.size());
  auto it = seqs_.find(seq);
  ROOFLM_CHECK(it != seqs_.end(), "commit of unknown sequence " + std::to_string(seq));
  ROOFLM_CHECK(n <= it->second.pending, "commit of more tokens than reserved");
  it->second.pending -= n;
  it->second.length += n;
}

int64_t ContiguousKvCache::length(SeqId seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? 0 : it->second.length;
}

void ContiguousKvCache::release(SeqId seq) {
  auto it = seqs_.find(seq);
  ROOFLM_CHECK(it != seqs_.end(), "release of unknown sequence " + std::to_string(seq));
  free_slots_.push_back(it->second.index);
  std::sort(free_slots_.rbegin(), free_slots_.rend());
  seqs_.erase(it);
}

KvView ContiguousKvCache::view(std::span<const SeqId> seqs) {
  table_.resize(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    auto it = seqs_.find(seqs[i]);
    ROOFLM_CHECK(it != seqs_.end(), "view of unknown sequence " + std::to_string(seqs[i]));
    table_[i] = it->second.index;
  }
  KvView v;
  v.layout = KvLayout::contiguous;
  v.geom = geom_;
  v.storage = storage_;
  v.block_tables = table_.data();
  v.max_blocks_per_seq = 1;
  v.n_seqs = int32_t(seqs.size());
  return v;
}

KvStats ContiguousKvCache::stats() const {
  KvStats s;
  s.capacity_tokens = geom_.num_blocks * geom_.block_size;
  s.live_seqs = int64_t(seqs_.size());
  s.reserved_tokens = s.live_seqs * geom_.block_size;
  for (const auto& [id, slot] : seqs_) s.used_tokens += slot.length;
  s.peak_live_seqs = peak_live_;
  return s;
}

}  // namespace rooflm
