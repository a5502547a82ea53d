// PagedKvCache: vLLM-style paged KV bookkeeping over a BlockPool. Each sequence owns a block table
// (block ids, one per block_size tokens) that grows lazily as reserve() makes room; blocks are
// reference counted, so fork() shares a parent's blocks and the first write into a shared,
// partially filled block copies it (copy-on-write: a KvBlockCopy the backend performs before the
// next forward). Full blocks are registered in the prefix cache under a hash chained over their
// prefix; adopt_cached_prefix() lets a new sequence take them instead of recomputing their KV.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/kv/block_pool.h"
#include "engine/kv/kv_cache.h"

namespace rooflm {

class PagedKvCache final : public KvCache {
 public:
  // geom.block_size tokens per block, geom.num_blocks blocks in the pool; no sequence may grow past
  // max_seq_len tokens (the width of every block-table row of view()).
  PagedKvCache(KvGeometry geom, int64_t max_seq_len);

  KvLayout layout() const override { return KvLayout::paged; }
  KvGeometry geometry() const override { return geom_; }
  void bind(KvStorage storage) override { storage_ = storage; }

  // Enough available blocks (free or evictable) for a whole sequence of `max_tokens`.
  bool can_admit(int64_t max_tokens) const override;
  bool reserve(SeqId seq, int64_t n_new_tokens) override;
  void commit(SeqId seq, std::span<const int32_t> tokens) override;
  int64_t length(SeqId seq) const override;
  void release(SeqId seq) override;

  // `parent` must have no reserved-but-unwritten tokens (call between steps). Never needs room.
  bool fork(SeqId parent, SeqId child) override;
  // `seq` must be new (or hold nothing). Looks up the prompt's full blocks except the one holding
  // its last token; every call counts prompt.size() query tokens. A sequence that adopted blocks
  // exists afterwards and must be released like any other.
  int64_t adopt_cached_prefix(SeqId seq, std::span<const int32_t> prompt) override;
  std::vector<KvBlockCopy> take_block_copies() override;

  KvView view(std::span<const SeqId> seqs) override;
  // reserved = distinct held blocks x block_size; used = distinct written slots (shared counted once).
  KvStats stats() const override;

  // Introspection for tests and the scheduler's diagnostics.
  int32_t max_blocks_per_seq() const { return max_blocks_per_seq_; }
  int32_t available_blocks() const { return pool_.num_available(); }
  int32_t refcount(int32_t block) const { return pool_.refcount(block); }
  std::span<const int32_t> block_table(SeqId seq) const;

 private:
  struct Sequence {
    std::vector<int32_t> blocks;        // block table, [ceil((length + pending) / block_size)]
    std::vector<int32_t> tokens;        // [length] token ids with written KV
    std::vector<uint64_t> full_hashes;  // [full blocks] chained prefix hash of each full block
    int64_t pending = 0;                // reserved for the step in flight
  };

  int64_t blocks_for(int64_t tokens) const { return (tokens + geom_.block_size - 1) / geom_.block_size; }
  Sequence& find(SeqId seq, const char* what);
  // Registers the blocks of `s` that became full since the last call.
  void register_full_blocks(Sequence& s);

  KvGeometry geom_;
  int32_t max_blocks_per_seq_;
  KvStorage storage_;
  BlockPool pool_;
  std::unordered_map<SeqId, Sequence> seqs_;
  std::vector<KvBlockCopy> copies_;  // copy-on-write copies not yet taken by the backend
  std::vector<int32_t> table_;       // [n_seqs, max_blocks_per_seq] of the last view()
  int64_t peak_live_ = 0;
  int64_t prefix_query_tokens_ = 0, prefix_hit_tokens_ = 0;
};

}  // namespace rooflm
