// NVML's clock event ("throttle") reasons: the bits of nvmlDeviceGetCurrentClocksEventReasons, their
// names in results JSON, and which of them mean the clocks were throttled (so the run's times are
// not the GPU's). Idle, application clocks, sync boost and display clocks are not throttling.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rooflm {

// nvml.h nvmlClocksEventReason* (the deprecated nvmlClocksThrottleReason* have the same values).
inline constexpr uint64_t kClockEventGpuIdle = 0x1;
inline constexpr uint64_t kClockEventApplicationsClocksSetting = 0x2;
inline constexpr uint64_t kClockEventSwPowerCap = 0x4;
inline constexpr uint64_t kClockEventHwSlowdown = 0x8;
inline constexpr uint64_t kClockEventSyncBoost = 0x10;
inline constexpr uint64_t kClockEventSwThermalSlowdown = 0x20;
inline constexpr uint64_t kClockEventHwThermalSlowdown = 0x40;
inline constexpr uint64_t kClockEventHwPowerBrakeSlowdown = 0x80;
inline constexpr uint64_t kClockEventDisplayClockSetting = 0x100;

// The reasons that make a run throttled: sw power cap, hw slowdown, sw / hw thermal, hw power brake.
inline constexpr uint64_t kThrottlingClockEvents = kClockEventSwPowerCap | kClockEventHwSlowdown |
                                                   kClockEventSwThermalSlowdown | kClockEventHwThermalSlowdown |
                                                   kClockEventHwPowerBrakeSlowdown;

// The names of the set bits, lowest first: "gpu_idle", "applications_clocks_setting", "sw_power_cap",
// "hw_slowdown", "sync_boost", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown",
// "display_clock_setting"; a bit NVML added later is "0x200".
std::vector<std::string> clock_event_names(uint64_t mask);

}  // namespace rooflm
