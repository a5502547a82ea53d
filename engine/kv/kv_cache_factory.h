// KV cache construction from the scenario's engine.kv_cache section: the layout, the geometry and
// the pool size. contiguous: max_batch slots of max_seq_len tokens (what systems without paging
// reserve). paged: blocks of block_size tokens filling memory_bytes, or memory_fraction of the
// backend's KV budget, or (no device: the cpu backend) as many blocks as max_batch full-length
// sequences need.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "engine/kv/kv_cache.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

// The largest KV pool any plan asks for (1 PiB): every byte count of the pool then fits in int64.
inline constexpr int64_t kMaxKvPoolBytes = int64_t(1) << 50;

struct KvCachePlan {
  KvLayout layout = KvLayout::contiguous;
  KvGeometry geom;
  int64_t max_seq_len = 0;  // longest sequence any slot / block table holds
};

// `shape` carries n_layers, n_kv_heads, head_dim and dtype; `longest_request` is the longest
// prompt + output of the workload; `budget_bytes` is Backend::kv_memory_budget_bytes().
// Throws InputError naming the engine.kv_cache field when the request cannot fit.
KvCachePlan plan_kv_cache(const KvCacheSpec& spec, const KvGeometry& shape, int64_t max_batch,
                          int64_t longest_request, std::optional<int64_t> budget_bytes);

std::unique_ptr<KvCache> make_kv_cache(const KvCachePlan& plan);

}  // namespace rooflm
