// capture_environment(): what machine, toolchain and source tree produced a result (the
// "environment" section of results.json). Host facts come from uname and /proc/cpuinfo; the commit,
// version and build type are compiled in (build_info.h).
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <string>

#include "common/error.h"
#include "engine/results/build_info.h"
#include "engine/results/results.h"

namespace rooflm {

namespace {

nlohmann::json hostname() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return nullptr;
  return std::string(name.data());
}

nlohmann::json os_name() {
  utsname uts{};
  if (uname(&uts) != 0) return nullptr;
  return std::string(uts.sysname) + " " + uts.release;
}

// {"model": "model name" of /proc/cpuinfo (null where it has none), "logical_cores": n}
nlohmann::json cpu_info() {
  nlohmann::json model = nullptr;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t value_start = line.find_first_not_of(" \t", colon + 1);
    model = value_start == std::string::npos ? "" : line.substr(value_start);
    break;
  }
  return {{"model", model}, {"logical_cores", int64_t(sysconf(_SC_NPROCESSORS_ONLN))}};
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __VERSION__;
#else
  return std::string("gcc ") + __VERSION__;
#endif
}

// ISO 8601 UTC, e.g. "2026-11-24T19:54:00Z".
std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text.data();
}

}  // namespace

nlohmann::json capture_environment(const nlohmann::json& device_info) {
  ROOFLM_CHECK(device_info.is_object() || device_info.is_null(), "device_info must be a JSON object");
  const BuildInfo& build = build_info();
  nlohmann::json environment = {{"gpu", nullptr},   {"driver", nullptr}, {"cuda", nullptr},
                                {"clocks", nullptr}, {"host", hostname()}, {"os", os_name()},
                                {"cpu", cpu_info()}, {"compiler", compiler()},
                                {"build_type", build.build_type},
                                {"timestamp", utc_timestamp()}, {"rooflm_version", build.version}};
  // Compiled in (build_info.h): the binary's commit, not the HEAD of whatever tree it runs beside.
  environment["git_commit"] = *build.git_commit ? nlohmann::json(build.git_commit) : nlohmann::json(nullptr);
  environment["git_dirty"] = build.git_dirty < 0 ? nlohmann::json(nullptr) : nlohmann::json(build.git_dirty == 1);

  if (device_info.is_object()) environment.update(device_info);
  return environment;
}

}  // namespace rooflm
