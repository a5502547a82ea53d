// The shared-prefix fraction of a mooncake trace: of all prompt tokens of its lines, those whose
// leading hash-id blocks an earlier line already has (the same ids, in the same order, from the
// first block on), counted up to the tokens that earlier line held of each block. It is what an
// unbounded prefix cache could reuse; the run's summary.counts (prefix_hit_tokens) says what the
// engine reused under its KV pool and scheduling.
#pragma once

#include <cstdint>
#include <span>

#include "engine/scenario/scenario.h"

namespace rooflm {

TraceSharing trace_sharing(std::span<const TraceEntry> lines, int64_t block_size);

}  // namespace rooflm
