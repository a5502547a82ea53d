// Runs fn(begin, end) over [0, n) on the pool, or serially in the caller when pool is nullptr.
// Each index is handled by one thread, so results never depend on the pool.
#pragma once

#include <cstdint>

#include "common/thread_pool.h"

namespace rooflm::ref::detail {

template <typename Fn>
void parallel_for(ThreadPool* pool, int64_t n, const Fn& fn) {
  if (pool == nullptr) {
    if (n > 0) fn(int64_t(0), n);
    return;
  }
  pool->parallel_for(n, fn);
}

}  // namespace rooflm::ref::detail
