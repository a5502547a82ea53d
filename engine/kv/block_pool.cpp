// BlockPool implementation.
#include "engine/kv/block_pool.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace rooflm {

uint64_t kv_block_hash(uint64_t prefix_hash, std::span<const int32_t> tokens) {
  // FNV-1a over the prefix hash and the token ids, then a murmur3-style finaliser to spread the
  // low bits (the map buckets on them). Collisions are rejected by BlockPool::lookup anyway.
  uint64_t h = 0xcbf29ce484222325ull ^ prefix_hash;
  for (const int32_t t : tokens) h = (h ^ uint64_t(uint32_t(t))) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

BlockPool::BlockPool(int32_t num_blocks)
    : refcount_(size_t(std::max(num_blocks, 0)), 0) {
  ROOFLM_CHECK(num_blocks > 0, "a block pool needs blocks");
  free_.reserve(size_t(num_blocks));
  for (int32_t b = num_blocks - 1; b >= 0; --b) free_.push_back(b);  // block 0 is allocated first
}

void BlockPool::check_block(int32_t block) const {
  ROOFLM_CHECK(block >= 0 && block < num_blocks(), "block id " + std::to_string(block) + " outside the pool of " +
                                                       std::to_string(num_blocks()));
}

int32_t BlockPool::refcount(int32_t block) const {
  check_block(block);
  return refcount_[size_t(block)];
}

std::optional<int32_t> BlockPool::allocate() {
  int32_t block = -1;
  if (!free_.empty()) {
    block = free_.back();
    free_.pop_back();
  } else if (!evictable_.empty()) {
    block = evictable_.front();
    evictable_.pop_front();
    evictable_pos_.erase(block);
    unregister(block);
  } else {
    return std::nullopt;
  }
  ROOFLM_CHECK(refcount_[size_t(block)] == 0, "allocated block " + std::to_string(block) + " was still held");
  refcount_[size_t(block)] = 1;
  return block;
}

void BlockPool::retain(int32_t block) {
  check_block(block);
  if (refcount_[size_t(block)] == 0) {
    const auto pos = evictable_pos_.find(block);
    ROOFLM_CHECK(pos != evictable_pos_.end(), "retain of free block " + std::to_string(block));
    evictable_.erase(pos->second);
    evictable_pos_.erase(pos);
  }
  ++refcount_[size_t(block)];
}

void BlockPool::release(int32_t block) {
  check_block(block);
  int32_t& count = refcount_[size_t(block)];
  ROOFLM_CHECK(count > 0, "double free of block " + std::to_string(block));
  if (--count > 0) return;
  if (registration_.count(block)) {
    evictable_pos_.emplace(block, evictable_.insert(evictable_.end(), block));
  } else {
    free_.push_back(block);
  }
}

void BlockPool::register_full(int32_t block, uint64_t hash, uint64_t prefix_hash, std::span<const int32_t> tokens) {
  check_block(block);
  ROOFLM_CHECK(refcount_[size_t(block)] > 0, "registering unheld block " + std::to_string(block));
  if (registration_.count(block) || by_hash_.count(hash)) return;
  registration_.emplace(block, Registration{hash, prefix_hash, {tokens.begin(), tokens.end()}});
  by_hash_.emplace(hash, block);
}

std::optional<int32_t> BlockPool::lookup(uint64_t hash, uint64_t prefix_hash, std::span<const int32_t> tokens) const {
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  const Registration& r = registration_.at(it->second);
  if (r.prefix_hash != prefix_hash || !std::equal(tokens.begin(), tokens.end(), r.tokens.begin(), r.tokens.end()))
    return std::nullopt;
  return it->second;
}

void BlockPool::unregister(int32_t block) {
  const auto it = registration_.find(block);
  if (it == registration_.end()) return;
  by_hash_.erase(it->second.hash);
  registration_.erase(it);
}

}  // namespace rooflm
