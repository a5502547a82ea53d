// BlockPool: the allocator behind the paged KV cache. Owns block ids [0, num_blocks) and nothing
// else (the storage lives in the backend): a free list, a reference count per block, and the
// prefix cache: full blocks registered under a hash of their tokens and of their prefix. A
// registered block whose count drops to 0 stays cached (evictable, least recently released first)
// until an allocation needs its space. Invariants are checked in release builds too.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace rooflm {

// Hash of a full block: its tokens chained to the hash of the block before it (0 for the first).
uint64_t kv_block_hash(uint64_t prefix_hash, std::span<const int32_t> tokens);

class BlockPool {
 public:
  explicit BlockPool(int32_t num_blocks);

  int32_t num_blocks() const { return int32_t(refcount_.size()); }
  // Blocks an allocation can take now: free ones plus cached blocks nobody holds.
  int32_t num_available() const { return int32_t(free_.size() + evictable_.size()); }
  // Blocks with refcount > 0.
  int32_t num_held() const { return num_blocks() - num_available(); }
  int32_t refcount(int32_t block) const;

  // A block with refcount 1; evicts the least recently released cached block when none is free.
  // nullopt when every block is held.
  std::optional<int32_t> allocate();
  // refcount++ (a cached block nobody held leaves the evictable list).
  void retain(int32_t block);
  // refcount--; at 0 a registered block becomes evictable, any other block free.
  void release(int32_t block);

  // Registers held, full `block` under `hash` (its prefix hash and tokens kept to reject
  // collisions). A hash already registered keeps its first block; `block` then stays unregistered.
  void register_full(int32_t block, uint64_t hash, uint64_t prefix_hash, std::span<const int32_t> tokens);
  // The cached block holding exactly `tokens` after the prefix `prefix_hash`, if any.
  std::optional<int32_t> lookup(uint64_t hash, uint64_t prefix_hash, std::span<const int32_t> tokens) const;
  int32_t num_cached() const { return int32_t(by_hash_.size()); }

 private:
  struct Registration {
    uint64_t hash = 0, prefix_hash = 0;
    std::vector<int32_t> tokens;  // [block_size]
  };

  void check_block(int32_t block) const;
  void unregister(int32_t block);

  // Dense per-block state is one int; the rest is kept only for the blocks it concerns, so a pool
  // of millions of small blocks (a tiny model on a simulated 80 GB GPU) stays cheap.
  std::vector<int32_t> refcount_;  // [num_blocks]
  std::vector<int32_t> free_;      // stack; back() is allocated next
  std::list<int32_t> evictable_;   // registered, refcount 0; front = released longest ago
  std::unordered_map<int32_t, std::list<int32_t>::iterator> evictable_pos_;
  std::unordered_map<int32_t, Registration> registration_;
  std::unordered_map<uint64_t, int32_t> by_hash_;
};

}  // namespace rooflm
