// Names of NVML's clock event reason bits (see clock_event_reasons.h).
#include "engine/metrics/clock_event_reasons.h"

#include <cstdio>

namespace rooflm {

std::vector<std::string> clock_event_names(uint64_t mask) {
  static constexpr const char* kNames[] = {
      "gpu_idle",          "applications_clocks_setting", "sw_power_cap",
      "hw_slowdown",       "sync_boost",                  "sw_thermal_slowdown",
      "hw_thermal_slowdown", "hw_power_brake_slowdown",   "display_clock_setting"};
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    if (!(mask >> bit & 1)) continue;
    if (bit < int(std::size(kNames))) {
      names.emplace_back(kNames[bit]);
    } else {
      char hex[24];
      std::snprintf(hex, sizeof hex, "0x%llx", 1ULL << bit);
      names.emplace_back(hex);
    }
  }
  return names;
}

}  // namespace rooflm
