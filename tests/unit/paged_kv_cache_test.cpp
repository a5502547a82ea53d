// Paged KV cache: BlockPool (free list, refcounts, evictable prefix-cached blocks), PagedKvCache
// (lazy block tables, copy-on-write fork, prefix adoption, stats, invariant checks), pool sizing
// (plan_kv_cache), and a randomized property test that replays alloc/append/fork/adopt/free
// against a shadow copy of the storage.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "common/error.h"
#include "engine/kv/block_pool.h"
#include "engine/kv/kv_cache_factory.h"
#include "engine/kv/paged_kv_cache.h"

namespace rooflm {
namespace {

// 2 layers, 2 kv heads, head_dim 4, fp32: 2 * 2 * 2 * 4 * 4 = 128 bytes per token.
KvGeometry shape() { return {2, 2, 4, 0, 0, DType::f32}; }

PagedKvCache make(int64_t block_size, int64_t num_blocks, int64_t max_seq_len) {
  KvGeometry g = shape();
  g.block_size = block_size;
  g.num_blocks = num_blocks;
  return PagedKvCache(g, max_seq_len);
}

std::vector<int32_t> iota_tokens(int32_t first, int n) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) t[size_t(i)] = first + i;
  return t;
}

TEST(BlockPool, RefcountsFreeListAndDoubleFree) {
  BlockPool pool(3);
  EXPECT_EQ(pool.allocate(), 0);  // lowest first
  EXPECT_EQ(pool.allocate(), 1);
  pool.retain(1);
  EXPECT_EQ(pool.refcount(1), 2);
  EXPECT_EQ(pool.num_available(), 1);
  pool.release(1);
  pool.release(1);
  EXPECT_EQ(pool.refcount(1), 0);
  EXPECT_EQ(pool.num_available(), 2);
  EXPECT_THROW(pool.release(1), std::logic_error);  // double free
  EXPECT_THROW(pool.retain(2), std::logic_error);   // retain of a free block
  EXPECT_THROW(pool.refcount(3), std::logic_error); // outside the pool
  EXPECT_EQ(pool.allocate(), 1);                    // the block freed last is reused first
  EXPECT_EQ(pool.allocate(), 2);
  EXPECT_EQ(pool.allocate(), std::nullopt);
}

TEST(BlockPool, CachedBlocksStayUntilEvictedOldestFirst) {
  BlockPool pool(2);
  const std::vector<int32_t> a = {1, 2}, b = {3, 4};
  const uint64_t ha = kv_block_hash(0, a), hb = kv_block_hash(0, b);
  ASSERT_NE(ha, hb);
  const int32_t x = *pool.allocate(), y = *pool.allocate();
  pool.register_full(x, ha, 0, a);
  pool.register_full(y, hb, 0, b);
  pool.release(y);  // released first: evicted first
  pool.release(x);
  EXPECT_EQ(pool.num_available(), 2);
  EXPECT_EQ(pool.lookup(ha, 0, a), x);
  EXPECT_EQ(pool.lookup(ha, 7, a), std::nullopt);  // same tokens after another prefix
  EXPECT_EQ(pool.lookup(ha, 0, b), std::nullopt);  // hash hit with other tokens: a collision, rejected
  EXPECT_EQ(pool.allocate(), y);                   // evicts the oldest cached block
  EXPECT_EQ(pool.lookup(hb, 0, b), std::nullopt);
  pool.retain(x);                                  // a cache hit takes x off the evictable list
  EXPECT_EQ(pool.num_available(), 0);
  EXPECT_EQ(pool.allocate(), std::nullopt);
}

TEST(PagedKvCache, BlocksGrowLazilyAndViewRowsArePadded) {
  auto kv = make(4, 8, 16);  // 4 blocks per sequence at most
  EXPECT_TRUE(kv.can_admit(16));
  EXPECT_FALSE(kv.can_admit(17));  // past max_seq_len
  ASSERT_TRUE(kv.reserve(7, 5));   // 2 blocks
  kv.commit(7, iota_tokens(0, 5));
  ASSERT_TRUE(kv.reserve(3, 3));   // 1 block
  kv.commit(3, iota_tokens(0, 3));
  ASSERT_TRUE(kv.reserve(7, 3));   // positions 5..7 still fit block 1
  EXPECT_EQ(kv.block_table(7).size(), 2u);
  kv.commit(7, iota_tokens(5, 3));
  ASSERT_TRUE(kv.reserve(7, 1));   // position 8: a third block
  EXPECT_EQ(std::vector<int32_t>(kv.block_table(7).begin(), kv.block_table(7).end()), (std::vector<int32_t>{0, 1, 3}));
  KvStats s = kv.stats();
  EXPECT_EQ(s.capacity_tokens, 32);
  EXPECT_EQ(s.reserved_tokens, 16);  // 4 blocks held
  EXPECT_EQ(s.used_tokens, 11);      // 8 + 3 written
  EXPECT_EQ(s.live_seqs, 2);
  const SeqId order[] = {3, 7};
  const KvView v = kv.view(order);
  EXPECT_EQ(v.layout, KvLayout::paged);
  EXPECT_EQ(v.max_blocks_per_seq, 4);
  EXPECT_EQ(std::vector<int32_t>(v.block_tables, v.block_tables + 8), (std::vector<int32_t>{2, -1, -1, -1, 0, 1, 3, -1}));
  // row 1 (seq 7), layer 1, position 9 -> block 3, slot 1: ((1 * 8 + 3) * 4 + 1) * 2 * 4
  EXPECT_EQ(v.offset(1, 1, 9), ((1 * 8 + 3) * 4 + 1) * 2 * 4);
  kv.release(7);
  kv.release(3);
  EXPECT_EQ(kv.available_blocks(), 8);
  EXPECT_EQ(kv.stats().peak_live_seqs, 2);
}

TEST(PagedKvCache, ReserveRefusesWithoutChangingAnything) {
  auto kv = make(4, 3, 16);
  ASSERT_TRUE(kv.reserve(1, 8));  // 2 blocks
  EXPECT_TRUE(kv.can_admit(4));
  EXPECT_FALSE(kv.can_admit(5));
  EXPECT_FALSE(kv.reserve(2, 5));  // needs 2, 1 left
  EXPECT_EQ(kv.length(2), 0);
  EXPECT_EQ(kv.stats().live_seqs, 1);
  EXPECT_FALSE(kv.reserve(1, 5));  // positions 8..12 need 2 more blocks
  EXPECT_EQ(kv.block_table(1).size(), 2u);
  EXPECT_EQ(kv.available_blocks(), 1);
  EXPECT_TRUE(kv.reserve(1, 4));
  EXPECT_EQ(kv.available_blocks(), 0);
}

TEST(PagedKvCache, ForkSharesBlocksAndCopiesOnFirstWriteOnly) {
  auto kv = make(4, 8, 32);
  ASSERT_TRUE(kv.reserve(0, 6));
  kv.commit(0, iota_tokens(10, 6));  // blocks 0 (full), 1 (2 of 4 slots)
  ASSERT_TRUE(kv.fork(0, 1));
  EXPECT_EQ(kv.refcount(0), 2);
  EXPECT_EQ(kv.refcount(1), 2);
  EXPECT_EQ(kv.length(1), 6);
  EXPECT_EQ(kv.stats().reserved_tokens, 8);
  EXPECT_EQ(kv.stats().used_tokens, 6);  // shared slots count once
  EXPECT_TRUE(kv.take_block_copies().empty());

  ASSERT_TRUE(kv.reserve(1, 1));  // child writes position 6 into shared block 1: copy it
  std::vector<KvBlockCopy> copies = kv.take_block_copies();
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].src, 1);
  EXPECT_EQ(copies[0].dst, 2);
  EXPECT_EQ(std::vector<int32_t>(kv.block_table(1).begin(), kv.block_table(1).end()), (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(kv.refcount(1), 1);
  EXPECT_EQ(kv.refcount(0), 2);  // full blocks stay shared
  kv.commit(1, std::vector<int32_t>{99});
  ASSERT_TRUE(kv.reserve(1, 1));  // the child's copy is its own now
  ASSERT_TRUE(kv.reserve(0, 1));  // the parent is the last holder of block 1: no copy either
  EXPECT_TRUE(kv.take_block_copies().empty());
  EXPECT_TRUE(kv.take_block_copies().empty());  // taking clears
  kv.release(0);
  EXPECT_EQ(kv.refcount(0), 1);
  kv.release(1);
  EXPECT_EQ(kv.available_blocks(), 8);
}

TEST(PagedKvCache, ForkAtABlockBoundaryNeedsNoCopy) {
  auto kv = make(4, 4, 16);
  ASSERT_TRUE(kv.reserve(0, 8));
  kv.commit(0, iota_tokens(0, 8));
  ASSERT_TRUE(kv.fork(0, 1));
  ASSERT_TRUE(kv.reserve(1, 1));
  ASSERT_TRUE(kv.reserve(0, 1));
  EXPECT_TRUE(kv.take_block_copies().empty());
  EXPECT_EQ(kv.block_table(1)[2], 2);
  EXPECT_EQ(kv.block_table(0)[2], 3);
}

TEST(PagedKvCache, PrefixCacheAdoptsFullBlocksButNeverTheLastToken) {
  auto kv = make(4, 6, 32);
  const std::vector<int32_t> prompt = iota_tokens(100, 9);  // blocks [100..103] [104..107] [108]
  ASSERT_TRUE(kv.reserve(0, 9));
  kv.commit(0, prompt);
  kv.release(0);  // blocks 0, 1 stay cached (evictable), block 2 is free
  EXPECT_EQ(kv.available_blocks(), 6);

  std::vector<int32_t> other = prompt;
  other.resize(10);
  other[9] = 7;
  EXPECT_EQ(kv.adopt_cached_prefix(1, other), 8);  // both full blocks
  EXPECT_EQ(kv.length(1), 8);
  EXPECT_EQ(std::vector<int32_t>(kv.block_table(1).begin(), kv.block_table(1).end()), (std::vector<int32_t>{0, 1}));
  ASSERT_TRUE(kv.reserve(1, 2));
  EXPECT_EQ(kv.block_table(1)[2], 2);

  const std::vector<int32_t> exactly_two_blocks(prompt.begin(), prompt.begin() + 8);
  EXPECT_EQ(kv.adopt_cached_prefix(2, exactly_two_blocks), 4);  // the last token must be computed
  EXPECT_EQ(kv.refcount(0), 2);
  std::vector<int32_t> different_start = prompt;
  different_start[0] = 5;
  EXPECT_EQ(kv.adopt_cached_prefix(3, different_start), 0);  // the chain breaks at block 0
  EXPECT_EQ(kv.stats().live_seqs, 2);                         // adopting nothing creates nothing
  const KvStats s = kv.stats();
  EXPECT_EQ(s.prefix_query_tokens, 10 + 8 + 9);
  EXPECT_EQ(s.prefix_hit_tokens, 8 + 4);
  EXPECT_THROW(kv.adopt_cached_prefix(1, other), std::logic_error);  // already holds KV
}

TEST(PagedKvCache, CachedBlocksAreEvictedWhenTheirSpaceIsNeeded) {
  auto kv = make(4, 3, 12);
  ASSERT_TRUE(kv.reserve(0, 9));
  kv.commit(0, iota_tokens(0, 9));
  kv.release(0);
  ASSERT_TRUE(kv.reserve(1, 12));  // needs all 3 blocks: both cached ones are evicted
  kv.commit(1, iota_tokens(50, 12));
  kv.release(1);
  EXPECT_EQ(kv.adopt_cached_prefix(2, iota_tokens(0, 9)), 0);
  EXPECT_EQ(kv.adopt_cached_prefix(2, iota_tokens(50, 12)), 8);
}

TEST(PagedKvCache, InvariantViolationsThrowInReleaseBuilds) {
  auto kv = make(4, 4, 8);
  ASSERT_TRUE(kv.reserve(1, 3));
  EXPECT_THROW(kv.reserve(1, 6), std::logic_error);  // past max_seq_len
  EXPECT_THROW(kv.commit(1, std::vector<int32_t>(4, 0)), std::logic_error);  // more than reserved
  EXPECT_THROW(kv.fork(1, 2), std::logic_error);  // tokens reserved but unwritten
  kv.commit(1, std::vector<int32_t>(3, 0));
  ASSERT_TRUE(kv.fork(1, 2));
  EXPECT_THROW(kv.fork(1, 2), std::logic_error);  // child exists
  EXPECT_THROW(kv.release(9), std::logic_error);
  EXPECT_THROW(kv.view(std::vector<SeqId>{9}), std::logic_error);
  kv.release(2);
  EXPECT_THROW(kv.release(2), std::logic_error);
}

// Random alloc / append / fork / adopt / free. A shadow storage ([block][slot] = token id) receives
// the cache's block copies and then each step's writes through its block tables; after every
// operation: every live sequence reads back exactly its own tokens, refcounts equal the number of
// table entries naming each block, no block is leaked or counted twice, and the number of copies
// equals the number of writes that began in a block another sequence held at that moment.
TEST(PagedKvCache, RandomOperationsKeepRefcountsStorageAndCopiesConsistent) {
  constexpr int64_t kBlock = 4, kBlocks = 24, kMaxLen = 40;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    auto kv = make(kBlock, kBlocks, kMaxLen);
    std::vector<std::vector<int32_t>> storage(kBlocks, std::vector<int32_t>(kBlock, -1));
    std::map<SeqId, std::vector<int32_t>> tokens;  // expected token ids per live sequence
    const std::vector<std::vector<int32_t>> prompts = {iota_tokens(0, 13), iota_tokens(0, 9), iota_tokens(40, 17)};
    SeqId next_id = 0;
    int64_t expected_copies = 0, seen_copies = 0, adopted = 0;

    auto holders = [&] {
      std::map<int32_t, int32_t> count;
      for (const auto& [seq, t] : tokens)
        if (kv.length(seq) > 0)
          for (const int32_t b : kv.block_table(seq)) ++count[b];
      return count;
    };
    // Reserve n, write the tokens through the table, commit.
    auto append = [&](SeqId seq, const std::vector<int32_t>& add) {
      const int64_t start = int64_t(tokens[seq].size());
      const auto before = holders();
      int64_t shared_writes = 0;
      if (kv.length(seq) > 0) {
        const auto table = kv.block_table(seq);
        for (int64_t i = start / kBlock; i < int64_t(table.size()) && i * kBlock < start + int64_t(add.size()); ++i)
          shared_writes += before.at(table[size_t(i)]) > 1;
      }
      if (!kv.reserve(seq, int64_t(add.size()))) return false;
      expected_copies += shared_writes;
      for (const KvBlockCopy& c : kv.take_block_copies()) {
        ++seen_copies;
        EXPECT_GT(before.at(c.src), 1) << "copied an unshared block";
        EXPECT_EQ(before.count(c.dst), 0u) << "copy into a held block";
        storage[size_t(c.dst)] = storage[size_t(c.src)];
      }
      const auto table = kv.block_table(seq);
      for (size_t i = 0; i < add.size(); ++i) {
        const int64_t pos = start + int64_t(i);
        storage[size_t(table[size_t(pos / kBlock)])][size_t(pos % kBlock)] = add[i];
      }
      kv.commit(seq, add);
      tokens[seq].insert(tokens[seq].end(), add.begin(), add.end());
      return true;
    };
    auto check = [&] {
      const auto count = holders();
      int64_t held = 0;
      for (int32_t b = 0; b < kBlocks; ++b) {
        const auto it = count.find(b);
        ASSERT_EQ(kv.refcount(b), it == count.end() ? 0 : it->second) << "seed " << seed << " block " << b;
        held += kv.refcount(b) > 0;
      }
      ASSERT_EQ(kv.available_blocks() + held, kBlocks) << "seed " << seed;
      ASSERT_EQ(kv.stats().reserved_tokens, held * kBlock);
      for (const auto& [seq, t] : tokens) {
        ASSERT_EQ(kv.length(seq), int64_t(t.size()));
        const auto table = kv.block_table(seq);
        ASSERT_EQ(std::set<int32_t>(table.begin(), table.end()).size(), table.size()) << "block twice in a table";
        for (size_t p = 0; p < t.size(); ++p)
          ASSERT_EQ(storage[size_t(table[p / kBlock])][p % kBlock], t[p]) << "seed " << seed << " seq " << seq << " pos " << p;
      }
      ASSERT_EQ(seen_copies, expected_copies) << "seed " << seed;
    };

    for (int op = 0; op < 300; ++op) {
      const int kind = int(rng() % 10);
      if ((kind < 3 || tokens.empty()) && int64_t(tokens.size()) < 6) {  // new sequence, maybe from the prefix cache
        const SeqId seq = next_id++;
        const std::vector<int32_t>& prompt = prompts[rng() % prompts.size()];
        const int64_t hit = kv.adopt_cached_prefix(seq, prompt);
        adopted += hit;
        tokens[seq].assign(prompt.begin(), prompt.begin() + hit);
        if (!append(seq, std::vector<int32_t>(prompt.begin() + hit, prompt.end()))) {
          if (hit > 0) kv.release(seq);
          tokens.erase(seq);
        }
      } else if (kind < 7) {  // append 1..3 tokens to a random live sequence
        auto it = std::next(tokens.begin(), long(rng() % tokens.size()));
        const int n = 1 + int(rng() % 3);
        if (int64_t(it->second.size()) + n > kMaxLen) continue;
        std::vector<int32_t> add;
        for (int i = 0; i < n; ++i) add.push_back(int32_t(1000 + rng() % 50));
        append(it->first, add);
      } else if (kind < 8 && int64_t(tokens.size()) < 6) {  // fork
        auto it = std::next(tokens.begin(), long(rng() % tokens.size()));
        const SeqId child = next_id++;
        ASSERT_TRUE(kv.fork(it->first, child));
        tokens[child] = it->second;
      } else {  // release
        auto it = std::next(tokens.begin(), long(rng() % tokens.size()));
        kv.release(it->first);
        tokens.erase(it);
      }
      check();
      if (HasFatalFailure()) return;
    }
    for (const auto& [seq, t] : tokens) kv.release(seq);
    tokens.clear();
    check();
    EXPECT_EQ(kv.available_blocks(), kBlocks) << "leak, seed " << seed;
    EXPECT_EQ(kv.stats().live_seqs, 0);
    EXPECT_GT(adopted, 0) << "the workload exercises the prefix cache";
  }
}

TEST(KvCacheFactory, ContiguousReservesMaxBatchSlotsOfMaxSeqLen) {
  KvCacheSpec spec;
  const KvCachePlan p = plan_kv_cache(spec, shape(), 3, 20, std::nullopt);
  EXPECT_EQ(p.layout, KvLayout::contiguous);
  EXPECT_EQ(p.geom.block_size, 20);
  EXPECT_EQ(p.geom.num_blocks, 3);
  spec.max_seq_len = 19;
  EXPECT_THROW(plan_kv_cache(spec, shape(), 3, 20, std::nullopt), InputError);
}

TEST(KvCacheFactory, ContiguousSlotsFitAnExplicitBudget) {
  KvCacheSpec spec;
  spec.memory_bytes = 6000;  // a 20-token slot is 20 * 128 = 2560 bytes: 2 slots fit
  EXPECT_EQ(plan_kv_cache(spec, shape(), 3, 20, std::nullopt).geom.num_blocks, 2);
  spec.memory_bytes = 100000;  // room for 39 slots, but max_batch caps at 3
  EXPECT_EQ(plan_kv_cache(spec, shape(), 3, 20, std::nullopt).geom.num_blocks, 3);
  spec.memory_bytes = 2000;  // not even one slot
  EXPECT_THROW(plan_kv_cache(spec, shape(), 3, 20, std::nullopt), InputError);
}

TEST(KvCacheFactory, QuantisedKvHoldsTwoHeadDimOverHeadDimPlusFourTimesTheTokens) {
  // Llama-3-8B's KV shape (32 layers, 8 kv heads of 128): fp16 is 2 * 8 * 128 * 2 = 4096 bytes per
  // token and layer; int8 / fp8 1-byte codes + one fp32 scale per kv head for K and V, 2 * 8 * 132 =
  // 2112. A budget of lcm(fp16, int8 block bytes) * 4 holds both pools exactly: ratio 256 / 132.
  const KvGeometry fp16{32, 8, 128, 0, 0, DType::f16};
  const int64_t fp16_block = 16 * 32 * 4096, int8_block = 16 * 32 * 2112;  // 2^21, 2^15 * 33
  for (const KvLayout layout : {KvLayout::paged, KvLayout::contiguous})
    for (const DType dtype : {DType::i8, DType::f8e4m3}) {
      SCOPED_TRACE(std::string(name(layout)) + " " + std::string(dtype_name(dtype)));
      KvGeometry quant = fp16;
      quant.dtype = dtype;
      EXPECT_EQ(quant.bytes_per_token(), 32 * 2112);
      KvCacheSpec spec;
      spec.layout = layout;
      spec.block_size = 16;
      spec.max_seq_len = 16;  // contiguous: 16-token slots, as big as a paged block
      spec.memory_bytes = (int64_t(1) << 21) * 33 * 4;
      const KvCachePlan a = plan_kv_cache(spec, fp16, 1 << 20, 16, std::nullopt);
      const KvCachePlan b = plan_kv_cache(spec, quant, 1 << 20, 16, std::nullopt);
      const int64_t tokens_fp16 = a.geom.num_blocks * a.geom.block_size, tokens_quant = b.geom.num_blocks * b.geom.block_size;
      EXPECT_EQ(tokens_fp16, spec.memory_bytes / fp16_block * 16);  // 132 blocks
      EXPECT_EQ(tokens_quant, spec.memory_bytes / int8_block * 16);  // 256 blocks
      EXPECT_GE(double(tokens_quant) / double(tokens_fp16), 1.9);
      EXPECT_DOUBLE_EQ(double(tokens_quant) / double(tokens_fp16), 2.0 * 128 / (128 + 4));
      EXPECT_EQ(b.geom.total_bytes(), spec.memory_bytes) << "the pool counts its scales";
    }
}

TEST(KvCacheFactory, PagedPoolFromBytesFractionOrBatch) {
  KvCacheSpec spec;
  spec.layout = KvLayout::paged;
  spec.block_size = 16;  // 16 * 128 = 2048 bytes per block
  spec.memory_fraction = 0.5;
  // no device: max_batch 3 sequences of max_seq_len 20 -> 2 blocks each
  KvCachePlan p = plan_kv_cache(spec, shape(), 3, 20, std::nullopt);
  EXPECT_EQ(p.layout, KvLayout::paged);
  EXPECT_EQ(p.geom.block_size, 16);
  EXPECT_EQ(p.geom.num_blocks, 6);
  EXPECT_EQ(p.max_seq_len, 20);
  // 0.5 * 100000 = 50000 bytes -> 24 blocks
  EXPECT_EQ(plan_kv_cache(spec, shape(), 3, 20, 100000).geom.num_blocks, 24);
  spec.memory_bytes = 10000;  // explicit bytes win: 4 blocks
  EXPECT_EQ(plan_kv_cache(spec, shape(), 3, 20, 100000).geom.num_blocks, 4);
  spec.memory_bytes = 4095;   // 1 block, but a 20-token request needs 2
  EXPECT_THROW(plan_kv_cache(spec, shape(), 3, 20, 100000), InputError);
  spec.memory_bytes = 0;
  EXPECT_EQ(make_kv_cache(p)->layout(), KvLayout::paged);
}

}  // namespace
}  // namespace rooflm
