// KvCache: bookkeeping of which KV storage each sequence owns. Implementations: contiguous (one
// max_seq_len slot per sequence) and, later, paged (block pool, refcounts, copy-on-write, prefix
// sharing). The storage itself is allocated by the backend (host or device memory) from geometry().
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/kv_view.h"

namespace rooflm {


// Copy of one whole block (every layer, K and V) that the backend must perform before the next
// forward: how copy-on-write reaches the storage.
struct KvBlockCopy {
  int32_t src = -1, dst = -1;
};

struct KvStats {
  int64_t capacity_tokens = 0;  // tokens the pool can hold
  int64_t reserved_tokens = 0;  // tokens set aside for live sequences (contiguous: max_seq_len each)
  int64_t used_tokens = 0;      // tokens actually written by live sequences
  int64_t live_seqs = 0;
  int64_t peak_live_seqs = 0;
  int64_t prefix_query_tokens = 0;  // prompt tokens looked up in the prefix cache
  int64_t prefix_hit_tokens = 0;    // of which found cached (hit rate = hit / query)
  nlohmann::json to_json() const;
};

class KvCache {
 public:
  virtual ~KvCache() = default;

  virtual KvLayout layout() const = 0;
  virtual KvGeometry geometry() const = 0;
  // Binds the storage the backend allocated for geometry(). Must be called before view().
  virtual void bind(KvStorage storage) = 0;

  // Whether a new sequence whose total length will be `max_tokens` can be admitted now.
  virtual bool can_admit(int64_t max_tokens) const = 0;
  // Makes room for `n_new_tokens` more tokens of `seq` (creating it on first call). False when no
  // room is left: the caller must preempt something or wait; nothing is changed then.
  virtual bool reserve(SeqId seq, int64_t n_new_tokens) = 0;
  // Records that the reserved tokens `tokens` of `seq` now hold written KV (after the step ran);
  // the ids let a paged cache key full blocks for prefix sharing.
  virtual void commit(SeqId seq, std::span<const int32_t> tokens) = 0;
  // Tokens of `seq` currently holding written KV.
  virtual int64_t length(SeqId seq) const = 0;
  virtual void release(SeqId seq) = 0;

  // `child` starts as a copy of `parent` (parallel sampling, n > 1): a paged cache shares the
  // blocks and copies on write; false when the layout cannot (contiguous) or no room is left.
  virtual bool fork(SeqId parent, SeqId child) {
    (void)parent;
    (void)child;
    return false;
  }
  // Prefix caching: a new `seq` adopts cached full blocks that hold a prefix of `prompt`; returns
  // the number of tokens adopted (their KV need not be computed). 0 when the layout has no cache.
  virtual int64_t adopt_cached_prefix(SeqId seq, std::span<const int32_t> prompt) {
    (void)seq;
    (void)prompt;
    return 0;
  }
  // Block copies (copy-on-write) the backend must perform before the next forward; clears them.
  virtual std::vector<KvBlockCopy> take_block_copies() { return {}; }

  // POD view with block-table rows for `seqs`, in that order. The returned view points into
  // memory owned by the cache; it stays valid until the next call of view() or a mutation.
  virtual KvView view(std::span<const SeqId> seqs) = 0;
  virtual KvStats stats() const = 0;
};

}  // namespace rooflm
