// capture_environment(): what machine, toolchain and source tree produced a result (the
// "environment" section of results.json). Host facts come from uname, /proc/cpuinfo and git.
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
#include "engine/results/results.h"

namespace rooflm {

namespace {

constexpr const char* kRooflmVersion = "0.1.0";

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

// The source tree git is asked about: env ROOFLM_SOURCE_DIR, else the one this was built from.
std::string source_dir() {
  const char* from_env = std::getenv("ROOFLM_SOURCE_DIR");
  return from_env != nullptr && *from_env != '\0' ? from_env : ROOFLM_SOURCE_DIR;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// stdout of `git -C <source_dir> <args>`, or nothing when git fails.
std::optional<std::string> git_output(const std::string& args) {
  const std::string command = "git -C " + shell_quote(source_dir()) + " " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string output;
  std::array<char, 4096> buffer{};
  for (size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) output.append(buffer.data(), n);
  if (pclose(pipe) != 0) return std::nullopt;
  return output;
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
  nlohmann::json environment = {{"gpu", nullptr},   {"driver", nullptr}, {"cuda", nullptr},
                                {"clocks", nullptr}, {"host", hostname()}, {"os", os_name()},
                                {"cpu", cpu_info()}, {"compiler", compiler()},
                                {"build_type", ROOFLM_BUILD_TYPE},
                                {"timestamp", utc_timestamp()}, {"rooflm_version", kRooflmVersion}};

  const std::optional<std::string> head = git_output("rev-parse HEAD");
  if (const char* pinned = std::getenv("ROOFLM_GIT_COMMIT"); pinned && *pinned) {
    // A copy of the tree without .git (e.g. on a lent GPU machine): the caller names the commit.
    environment["git_commit"] = pinned;
    environment["git_dirty"] = nullptr;
  } else if (head) {
    environment["git_commit"] = head->substr(0, head->find_last_not_of(" \n\r\t") + 1);
    const std::optional<std::string> status = git_output("status --porcelain");
    environment["git_dirty"] = status ? nlohmann::json(!status->empty()) : nlohmann::json(nullptr);
  } else {
    environment["git_commit"] = nullptr;
    environment["git_dirty"] = nullptr;
  }

  if (device_info.is_object()) environment.update(device_info);
  return environment;
}

}  // namespace rooflm
