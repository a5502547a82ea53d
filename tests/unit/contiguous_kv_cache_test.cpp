// ContiguousKvCache bookkeeping: slot reuse, capacity, views, stats, and its invariant checks.
#include <gtest/gtest.h>

#include "engine/kv/contiguous_kv_cache.h"

namespace rooflm {
namespace {

ContiguousKvCache make(int64_t slots, int64_t len) { return ContiguousKvCache({2, 2, 4, len, slots, DType::f32}); }

TEST(ContiguousKvCache, SlotsAreReservedWholeAndReused) {
  auto kv = make(2, 10);
  EXPECT_TRUE(kv.can_admit(10));
  EXPECT_FALSE(kv.can_admit(11));
  EXPECT_TRUE(kv.reserve(5, 4));
  EXPECT_TRUE(kv.reserve(9, 1));
  EXPECT_FALSE(kv.can_admit(1));
  EXPECT_FALSE(kv.reserve(11, 1));  // no slot left: refused, nothing changed
  kv.commit(5, std::vector<int32_t>{1, 2, 3, 4});
  kv.commit(9, std::vector<int32_t>{7});
  KvStats s = kv.stats();
  EXPECT_EQ(s.capacity_tokens, 20);
  EXPECT_EQ(s.reserved_tokens, 20);
  EXPECT_EQ(s.used_tokens, 5);
  EXPECT_EQ(s.live_seqs, 2);
  const SeqId order[] = {9, 5};
  KvView v = kv.view(order);
  EXPECT_EQ(v.block_tables[0], 1);
  EXPECT_EQ(v.block_tables[1], 0);
  EXPECT_EQ(v.offset(1, 1, 3), ((1 * 2 + 0) * 10 + 3) * 2 * 4);
  kv.release(5);
  EXPECT_TRUE(kv.reserve(11, 2));
  EXPECT_EQ(kv.view(std::vector<SeqId>{11}).block_tables[0], 0);  // lowest free slot
  EXPECT_EQ(kv.stats().peak_live_seqs, 2);
}

TEST(ContiguousKvCache, InvariantViolationsThrowInReleaseBuilds) {
  auto kv = make(1, 4);
  EXPECT_TRUE(kv.reserve(1, 4));
  EXPECT_THROW(kv.reserve(1, 1), std::logic_error);  // past max_seq_len
  EXPECT_THROW(kv.commit(1, std::vector<int32_t>(5, 0)), std::logic_error);  // more than reserved
  EXPECT_THROW(kv.release(2), std::logic_error);     // unknown sequence
  EXPECT_THROW(kv.view(std::vector<SeqId>{3}), std::logic_error);
}

}  // namespace
}  // namespace rooflm
