// NVML (libnvidia-ml.so.1, shipped with the driver) opened with dlopen at run time, so rooflm starts
// and runs where there is no driver (CI): the few entry points rooflm uses are declared here from
// NVML's stable C ABI (nvml.h), since a CUDA toolkit may ship without nvml.h. Users:
// kernels/common/device_info.cpp (driver version, clocks) and engine/metrics/nvml_telemetry_source
// (clocks, power, temperature, clock event reasons, energy sampled over a run).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace rooflm::nvml {

// nvml.h: return codes, the opaque device handle, clock domains, temperature sensors.
using Return = int;
using Device = struct nvmlDevice_st*;
inline constexpr Return kSuccess = 0;
inline constexpr int kClockSm = 1, kClockMem = 2;  // nvmlClockType_t NVML_CLOCK_SM, NVML_CLOCK_MEM
inline constexpr int kTemperatureGpu = 0;          // nvmlTemperatureSensors_t NVML_TEMPERATURE_GPU

// The entry points, resolved from the library; an entry point the driver lacks stays null (older
// drivers lack nvmlDeviceGetCurrentClocksEventReasons: clocks_event_reasons falls back to the
// deprecated nvmlDeviceGetCurrentClocksThrottleReasons, same signature and bits).
struct Library {
  Return (*init)() = nullptr;                                          // nvmlInit_v2
  Return (*shutdown)() = nullptr;                                      // nvmlShutdown
  const char* (*error_string)(Return) = nullptr;                       // nvmlErrorString
  Return (*driver_version)(char*, unsigned int) = nullptr;             // nvmlSystemGetDriverVersion
  Return (*handle_by_bus)(const char*, Device*) = nullptr;             // nvmlDeviceGetHandleByPciBusId_v2
  Return (*handle_by_index)(unsigned int, Device*) = nullptr;          // nvmlDeviceGetHandleByIndex_v2
  Return (*clock)(Device, int, unsigned int*) = nullptr;               // nvmlDeviceGetClockInfo (MHz)
  Return (*max_clock)(Device, int, unsigned int*) = nullptr;           // nvmlDeviceGetMaxClockInfo (MHz)
  Return (*power_usage)(Device, unsigned int*) = nullptr;              // nvmlDeviceGetPowerUsage (mW)
  Return (*temperature)(Device, int, unsigned int*) = nullptr;         // nvmlDeviceGetTemperature (C)
  Return (*clocks_event_reasons)(Device, unsigned long long*) = nullptr;  // bitmask (nvmlClocksEventReasons)
  Return (*total_energy)(Device, unsigned long long*) = nullptr;       // nvmlDeviceGetTotalEnergyConsumption (mJ)

  // "nvmlFoo returned 3 (Not Supported)".
  std::string error(const char* call, Return r) const;

  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  ~Library();

 private:
  friend std::shared_ptr<const Library> load_library(std::string* why_not);
  Library() = default;
  void* handle_ = nullptr;
};

// Opens libnvidia-ml.so.1 and resolves its entry points; null with *why_not set ("dlopen
// libnvidia-ml.so.1 failed: ...", "nvmlInit_v2 missing") when it cannot: never throws. The library
// is not initialised: pair init() and shutdown() (NVML counts them).
std::shared_ptr<const Library> load_library(std::string* why_not);

// An initialised NVML for the lifetime of the object (nvmlInit_v2 ... nvmlShutdown).
class Session {
 public:
  Session();  // never throws: ok() false and why_not() say what failed
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  bool ok() const { return initialised_; }
  const std::string& why_not() const { return why_not_; }
  const Library& api() const { return *lib_; }  // only when ok()
  // The device with this PCI bus id ("00000000:1b:00.0"), or null with *why_not set.
  Device device_by_bus_id(const std::string& bus_id, std::string* why_not) const;

 private:
  std::shared_ptr<const Library> lib_;
  bool initialised_ = false;
  std::string why_not_;
};

}  // namespace rooflm::nvml
