// KV cache construction and pool sizing.
#include "engine/kv/kv_cache_factory.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/kv/paged_kv_cache.h"

namespace rooflm {
namespace {

// Every pool size is formed in long double first: a product of valid sizes (max_batch slots of
// max_seq_len tokens of a wide model) can pass int64.
void require_pool_within_limit(const KvGeometry& geom, const std::string& source) {
  const long double bytes =
      static_cast<long double>(geom.n_layers) * geom.num_blocks * geom.block_size * geom.bytes_per_token_layer();
  if (bytes > static_cast<long double>(kMaxKvPoolBytes))
    throw InputError(source + " asks for a KV pool of " + std::to_string(geom.num_blocks) + " x " +
                     std::to_string(geom.block_size) + " tokens = " + std::to_string(static_cast<double>(bytes)) +
                     " bytes, beyond the limit of " + std::to_string(kMaxKvPoolBytes) + " bytes");
}

}  // namespace

KvCachePlan plan_kv_cache(const KvCacheSpec& spec, const KvGeometry& shape, int64_t max_batch,
                          int64_t longest_request, std::optional<int64_t> budget_bytes) {
  KvCachePlan plan;
  plan.geom = shape;
  plan.max_seq_len = spec.max_seq_len > 0 ? spec.max_seq_len : longest_request;
  if (plan.max_seq_len < longest_request)
    throw InputError("engine.kv_cache.max_seq_len = " + std::to_string(plan.max_seq_len) +
                     " is shorter than the longest request (" + std::to_string(longest_request) + " tokens)");
  if (spec.layout == KvLayout::contiguous) {
    // One max_seq_len slot per sequence: max_batch slots, or as many as an explicit budget holds
    // (so both layouts can be compared at the same KV memory).
    plan.geom.block_size = plan.max_seq_len;
    plan.geom.num_blocks = max_batch;
    if (spec.memory_bytes == 0)
      require_pool_within_limit(plan.geom, "engine.batching.max_batch = " + std::to_string(max_batch) +
                                               " contiguous slots of " + std::to_string(plan.max_seq_len) + " tokens");
    if (spec.memory_bytes > 0) {
      const int64_t slot_bytes = shape.bytes_per_token() * plan.max_seq_len;
      plan.geom.num_blocks = std::min(max_batch, spec.memory_bytes / slot_bytes);
      if (plan.geom.num_blocks < 1)
        throw InputError("engine.kv_cache.memory_bytes = " + std::to_string(spec.memory_bytes) +
                         " holds no contiguous slot of " + std::to_string(plan.max_seq_len) + " tokens (" +
                         std::to_string(slot_bytes) + " bytes)");
    }
    return plan;
  }
  plan.layout = KvLayout::paged;
  plan.geom.block_size = spec.block_size;
  const int64_t block_bytes = shape.bytes_per_token() * spec.block_size;
  const int64_t blocks_per_seq = (plan.max_seq_len + spec.block_size - 1) / spec.block_size;
  std::string source;
  int64_t pool_bytes = 0;
  if (spec.memory_bytes > 0) {
    pool_bytes = spec.memory_bytes;
    source = "engine.kv_cache.memory_bytes = " + std::to_string(spec.memory_bytes);
  } else if (budget_bytes) {
    pool_bytes = int64_t(spec.memory_fraction * double(*budget_bytes));
    source = "engine.kv_cache.memory_fraction = " + nlohmann::json(spec.memory_fraction).dump() + " of " +
             std::to_string(*budget_bytes) + " bytes free for KV";
  } else {
    source = "engine.batching.max_batch = " + std::to_string(max_batch) + " sequences of " +
             std::to_string(plan.max_seq_len) + " tokens";
    KvGeometry full = plan.geom;
    full.num_blocks = max_batch * blocks_per_seq;
    require_pool_within_limit(full, source);
    pool_bytes = full.num_blocks * block_bytes;
  }
  plan.geom.num_blocks = std::min<int64_t>(pool_bytes / block_bytes, INT32_MAX);
  const int64_t longest_blocks = (longest_request + spec.block_size - 1) / spec.block_size;
  if (plan.geom.num_blocks < longest_blocks)
    throw InputError(source + " gives a paged KV pool of " + std::to_string(plan.geom.num_blocks) + " blocks (" +
                     std::to_string(block_bytes) + " bytes each, engine.kv_cache.block_size = " +
                     std::to_string(spec.block_size) + ") but the longest request (" +
                     std::to_string(longest_request) + " tokens) needs " + std::to_string(longest_blocks));
  return plan;
}

std::unique_ptr<KvCache> make_kv_cache(const KvCachePlan& plan) {
  if (plan.layout == KvLayout::contiguous) return std::make_unique<ContiguousKvCache>(plan.geom);
  return std::make_unique<PagedKvCache>(plan.geom, plan.max_seq_len);
}

}  // namespace rooflm
