// Host memory the cpu backend may fill, so that a model or KV pool too large for this machine is
// refused with its byte count (exit 2) instead of ending in std::bad_alloc or the OOM killer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rooflm {

// Bytes that can still be allocated: MemAvailable of /proc/meminfo, or less when the memory
// cgroup (v2 memory.max or v1 memory.limit_in_bytes, minus usage) allows less; nullopt when
// neither can be read.
std::optional<int64_t> host_available_bytes();

// Throws InputError "<what> needs N bytes of host memory but this machine has M available" when
// `bytes` exceeds host_available_bytes().
void require_host_memory(const std::string& what, int64_t bytes);

}  // namespace rooflm
