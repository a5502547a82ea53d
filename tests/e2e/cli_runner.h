// Running the built rooflm CLI (ROOFLM_CLI_PATH, or $ROOFLM_E2E_CLI to test another binary, e.g. an
// older build) from an e2e test: its exit code, stdout and stderr.
// Usage: `const CliRun r = run_cli("gate --baseline a.json --candidate b.json");`
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/test_tmpdir.h"

namespace rooflm::test {

struct CliRun {
  int code = -1;  // the exit status; -1 when the process did not exit normally (killed by a signal)
  std::string out, err;
};

inline std::string read_text_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string cli_path() {
  const char* other = std::getenv("ROOFLM_E2E_CLI");
  return other != nullptr && *other != '\0' ? other : ROOFLM_CLI_PATH;
}

inline CliRun run_cli(const std::string& args) {
  TempDir io;
  const std::string cmd = cli_path() + " " + args + " >" + (io.path() / "out").string() + " 2>" +
                          (io.path() / "err").string();
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text_file(io.path() / "out");
  r.err = read_text_file(io.path() / "err");
  return r;
}

// The names of every entry under `folder` (recursively, relative), sorted; empty when it does not exist.
inline std::vector<std::string> entries_under(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  if (!std::filesystem::exists(folder)) return names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(folder))
    names.push_back(std::filesystem::relative(e.path(), folder).string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace rooflm::test
