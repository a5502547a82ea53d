// host_available_bytes: /proc/meminfo's MemAvailable, capped by the memory cgroup's limit.
#include "engine/backend/cpu/host_memory.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include "common/error.h"

namespace rooflm {
namespace {

// "MemAvailable:   123456 kB" -> bytes.
std::optional<int64_t> meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t kib = 0;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return std::nullopt;
}

// limit - usage of the memory cgroup visible at /sys/fs/cgroup (v2, else v1), when it sets a limit.
std::optional<int64_t> cgroup_available() {
  for (const auto& [limit_file, usage_file] :
       {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
        std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    std::ifstream limit_in(limit_file), usage_in(usage_file);
    int64_t limit = 0, usage = 0;
    if (limit_in >> limit && usage_in >> usage) return std::max<int64_t>(0, limit - usage);  // "max": no limit
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> host_available_bytes() {
  const std::optional<int64_t> system = meminfo_available(), group = cgroup_available();
  if (system && group) return std::min(*system, *group);
  return system ? system : group;
}

void require_host_memory(const std::string& what, int64_t bytes) {
  const std::optional<int64_t> available = host_available_bytes();
  if (available && bytes > *available)
    throw InputError(what + " needs " + std::to_string(bytes) + " bytes of host memory but this machine has " +
                     std::to_string(*available) + " available");
}

}  // namespace rooflm
