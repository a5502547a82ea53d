// PagedKvCache implementation.
#include "engine/kv/paged_kv_cache.h"

#include <algorithm>
#include <string>
#include <utility>

#include "common/error.h"

namespace rooflm {

PagedKvCache::PagedKvCache(KvGeometry geom, int64_t max_seq_len)
    : geom_(geom),
      max_blocks_per_seq_(int32_t((max_seq_len + geom.block_size - 1) / std::max<int64_t>(geom.block_size, 1))),
      pool_(int32_t(geom.num_blocks)) {
  ROOFLM_CHECK(geom.block_size > 0 && max_seq_len > 0, "paged KV cache needs a block size and a max_seq_len");
  ROOFLM_CHECK(geom.num_blocks < (int64_t(1) << 31), "block ids are int32");
}

PagedKvCache::Sequence& PagedKvCache::find(SeqId seq, const char* what) {
  auto it = seqs_.find(seq);
  ROOFLM_CHECK(it != seqs_.end(), std::string(what) + " of unknown sequence " + std::to_string(seq));
  return it->second;
}

std::span<const int32_t> PagedKvCache::block_table(SeqId seq) const {
  auto it = seqs_.find(seq);
  ROOFLM_CHECK(it != seqs_.end(), "block table of unknown sequence " + std::to_string(seq));
  return it->second.blocks;
}

bool PagedKvCache::can_admit(int64_t max_tokens) const {
  return max_tokens <= int64_t(max_blocks_per_seq_) * geom_.block_size &&
         blocks_for(max_tokens) <= pool_.num_available();
}

bool PagedKvCache::reserve(SeqId seq, int64_t n_new_tokens) {
  ROOFLM_CHECK(n_new_tokens >= 0, "reserve of a negative token count");
  auto it = seqs_.find(seq);
  const Sequence empty;
  const Sequence& cur = it == seqs_.end() ? empty : it->second;
  const int64_t start = int64_t(cur.tokens.size()) + cur.pending;  // first position this reserve covers
  const int64_t end = start + n_new_tokens;
  ROOFLM_CHECK(end <= int64_t(max_blocks_per_seq_) * geom_.block_size,
               "sequence " + std::to_string(seq) + " needs " + std::to_string(end) + " tokens but max_seq_len is " +
                   std::to_string(int64_t(max_blocks_per_seq_) * geom_.block_size));
  // Existing blocks this reserve will write into: a shared one must be copied first.
  const int64_t first = start / geom_.block_size;
  const int64_t last_existing = std::min<int64_t>(int64_t(cur.blocks.size()), blocks_for(end));
  int64_t copies = 0;
  for (int64_t i = first; i < last_existing; ++i) copies += pool_.refcount(cur.blocks[size_t(i)]) > 1;
  const int64_t new_blocks = std::max<int64_t>(0, blocks_for(end) - int64_t(cur.blocks.size()));
  if (new_blocks + copies > pool_.num_available()) return false;

  if (it == seqs_.end()) {
    it = seqs_.emplace(seq, Sequence{}).first;
    peak_live_ = std::max<int64_t>(peak_live_, int64_t(seqs_.size()));
  }
  Sequence& s = it->second;
  for (int64_t i = first; i < last_existing; ++i) {
    int32_t& block = s.blocks[size_t(i)];
    if (pool_.refcount(block) == 1) continue;
    const int32_t copy = *pool_.allocate();
    copies_.push_back({block, copy});
    pool_.release(block);
    block = copy;
  }
  for (int64_t i = 0; i < new_blocks; ++i) s.blocks.push_back(*pool_.allocate());
  s.pending += n_new_tokens;
  return true;
}

void PagedKvCache::register_full_blocks(Sequence& s) {
  const int64_t bs = geom_.block_size;
  while (int64_t(s.full_hashes.size()) < int64_t(s.tokens.size()) / bs) {
    const size_t i = s.full_hashes.size();
    const uint64_t prefix = i == 0 ? 0 : s.full_hashes[i - 1];
    const std::span<const int32_t> tokens(s.tokens.data() + int64_t(i) * bs, size_t(bs));
    const uint64_t hash = kv_block_hash(prefix, tokens);
    pool_.register_full(s.blocks[i], hash, prefix, tokens);
    s.full_hashes.push_back(hash);
  }
}

void PagedKvCache::commit(SeqId seq, std::span<const int32_t> tokens) {
  Sequence& s = find(seq, "commit");
  ROOFLM_CHECK(int64_t(tokens.size()) <= s.pending, "commit of more tokens than reserved");
  s.pending -= int64_t(tokens.size());
  s.tokens.insert(s.tokens.end(), tokens.begin(), tokens.end());
  register_full_blocks(s);
}

int64_t PagedKvCache::length(SeqId seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? 0 : int64_t(it->second.tokens.size());
}

void PagedKvCache::release(SeqId seq) {
  Sequence& s = find(seq, "release");
  for (const int32_t block : s.blocks) pool_.release(block);
  seqs_.erase(seq);
}

bool PagedKvCache::fork(SeqId parent, SeqId child) {
  const Sequence& p = find(parent, "fork");
  ROOFLM_CHECK(p.pending == 0, "fork of sequence " + std::to_string(parent) + " with tokens reserved but unwritten");
  ROOFLM_CHECK(!seqs_.count(child), "fork into existing sequence " + std::to_string(child));
  Sequence c;
  c.tokens = p.tokens;
  c.full_hashes = p.full_hashes;
  // Only the blocks holding written tokens are shared; blocks reserved ahead stay the parent's.
  c.blocks.assign(p.blocks.begin(), p.blocks.begin() + blocks_for(int64_t(p.tokens.size())));
  for (const int32_t block : c.blocks) pool_.retain(block);
  seqs_.emplace(child, std::move(c));
  peak_live_ = std::max<int64_t>(peak_live_, int64_t(seqs_.size()));
  return true;
}

int64_t PagedKvCache::adopt_cached_prefix(SeqId seq, std::span<const int32_t> prompt) {
  auto it = seqs_.find(seq);
  ROOFLM_CHECK(it == seqs_.end() || (it->second.blocks.empty() && it->second.pending == 0),
               "prefix adoption by sequence " + std::to_string(seq) + " that already holds KV");
  prefix_query_tokens_ += int64_t(prompt.size());
  const int64_t bs = geom_.block_size;
  // Full blocks only, never the one holding the last prompt token: that token must be computed so
  // the step has logits to sample from.
  const int64_t candidates = prompt.empty() ? 0 : (int64_t(prompt.size()) - 1) / bs;
  Sequence s;
  for (int64_t i = 0; i < candidates; ++i) {
    const uint64_t prefix = i == 0 ? 0 : s.full_hashes.back();
    const std::span<const int32_t> tokens = prompt.subspan(size_t(i * bs), size_t(bs));
    const uint64_t hash = kv_block_hash(prefix, tokens);
    const std::optional<int32_t> block = pool_.lookup(hash, prefix, tokens);
    if (!block) break;
    pool_.retain(*block);
    s.blocks.push_back(*block);
    s.full_hashes.push_back(hash);
  }
  const int64_t adopted = int64_t(s.blocks.size()) * bs;
  if (adopted == 0) return 0;
  s.tokens.assign(prompt.begin(), prompt.begin() + adopted);
  prefix_hit_tokens_ += adopted;
  seqs_[seq] = std::move(s);
  peak_live_ = std::max<int64_t>(peak_live_, int64_t(seqs_.size()));
  return adopted;
}

std::vector<KvBlockCopy> PagedKvCache::take_block_copies() { return std::exchange(copies_, {}); }

KvView PagedKvCache::view(std::span<const SeqId> seqs) {
  table_.assign(seqs.size() * size_t(max_blocks_per_seq_), -1);
  for (size_t row = 0; row < seqs.size(); ++row) {
    const Sequence& s = find(seqs[row], "view");
    std::copy(s.blocks.begin(), s.blocks.end(), table_.begin() + int64_t(row) * max_blocks_per_seq_);
  }
  KvView v;
  v.layout = KvLayout::paged;
  v.geom = geom_;
  v.storage = storage_;
  v.block_tables = table_.data();
  v.max_blocks_per_seq = max_blocks_per_seq_;
  v.n_seqs = int32_t(seqs.size());
  return v;
}

KvStats PagedKvCache::stats() const {
  const int64_t bs = geom_.block_size;
  KvStats st;
  st.capacity_tokens = geom_.num_blocks * bs;
  st.reserved_tokens = int64_t(pool_.num_held()) * bs;
  // A shared block holds the same written slots for every holder (writers copy first), so the
  // largest fill any holder sees is the block's; count each held block once.
  std::vector<std::pair<int32_t, int32_t>> fills;  // (block, written slots)
  for (const auto& [id, s] : seqs_)
    for (size_t i = 0; i < s.blocks.size(); ++i)
      fills.emplace_back(s.blocks[i], int32_t(std::clamp<int64_t>(int64_t(s.tokens.size()) - int64_t(i) * bs, 0, bs)));
  std::sort(fills.begin(), fills.end());
  for (size_t i = 0; i < fills.size(); ++i)
    if (i + 1 == fills.size() || fills[i + 1].first != fills[i].first) st.used_tokens += fills[i].second;
  st.live_seqs = int64_t(seqs_.size());
  st.peak_live_seqs = peak_live_;
  st.prefix_query_tokens = prefix_query_tokens_;
  st.prefix_hit_tokens = prefix_hit_tokens_;
  return st;
}

}  // namespace rooflm
