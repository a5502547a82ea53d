// dlopen of libnvidia-ml.so.1 and the NVML session (see nvml_library.h).
#include "common/nvml_library.h"

#include <dlfcn.h>

#include <type_traits>

namespace rooflm::nvml {

std::string Library::error(const char* call, Return r) const {
  const char* text = error_string ? error_string(r) : nullptr;
  return std::string(call) + " returned " + std::to_string(r) + (text ? " (" + std::string(text) + ")" : "");
}

Library::~Library() {
  if (handle_) dlclose(handle_);
}

std::shared_ptr<const Library> load_library(std::string* why_not) {
  void* handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    *why_not = "dlopen libnvidia-ml.so.1 failed: " + std::string(e ? e : "unknown error");
    return nullptr;
  }
  std::shared_ptr<Library> lib(new Library());
  lib->handle_ = handle;
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
  };
  sym(lib->init, "nvmlInit_v2");
  sym(lib->shutdown, "nvmlShutdown");
  sym(lib->error_string, "nvmlErrorString");
  sym(lib->driver_version, "nvmlSystemGetDriverVersion");
  sym(lib->handle_by_bus, "nvmlDeviceGetHandleByPciBusId_v2");
  sym(lib->handle_by_index, "nvmlDeviceGetHandleByIndex_v2");
  sym(lib->clock, "nvmlDeviceGetClockInfo");
  sym(lib->max_clock, "nvmlDeviceGetMaxClockInfo");
  sym(lib->power_usage, "nvmlDeviceGetPowerUsage");
  sym(lib->temperature, "nvmlDeviceGetTemperature");
  sym(lib->clocks_event_reasons, "nvmlDeviceGetCurrentClocksEventReasons");
  if (!lib->clocks_event_reasons) sym(lib->clocks_event_reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
  sym(lib->total_energy, "nvmlDeviceGetTotalEnergyConsumption");
  if (!lib->init || !lib->shutdown) {
    *why_not = "libnvidia-ml.so.1 has no nvmlInit_v2 / nvmlShutdown";
    return nullptr;
  }
  return lib;
}

Session::Session() {
  lib_ = load_library(&why_not_);
  if (!lib_) return;
  const Return r = lib_->init();
  if (r != kSuccess) {
    why_not_ = lib_->error("nvmlInit_v2", r);
    return;
  }
  initialised_ = true;
}

Session::~Session() {
  if (initialised_) lib_->shutdown();
}

Device Session::device_by_bus_id(const std::string& bus_id, std::string* why_not) const {
  if (!initialised_) {
    *why_not = why_not_;
    return nullptr;
  }
  if (!lib_->handle_by_bus) {
    *why_not = "libnvidia-ml.so.1 has no nvmlDeviceGetHandleByPciBusId_v2";
    return nullptr;
  }
  Device device = nullptr;
  const Return r = lib_->handle_by_bus(bus_id.c_str(), &device);
  if (r != kSuccess) {
    *why_not = lib_->error("nvmlDeviceGetHandleByPciBusId_v2", r) + " for bus id " + bus_id;
    return nullptr;
  }
  return device;
}

}  // namespace rooflm::nvml
