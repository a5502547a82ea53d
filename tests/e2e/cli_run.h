// run_cli(args): runs the built rooflm CLI (ROOFLM_CLI_PATH, or $ROOFLM_TEST_CLI to test another
// build) through the shell, under `timeout` so that a hang fails the test instead of stalling it,
// and returns its exit code (-1 when killed by a signal, 124 on timeout), stdout, stderr and wall
// time. Shared by the e2e tests.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/test_tmpdir.h"

namespace rooflm::test {

struct CliResult {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string cli_path() {
  const char* other = std::getenv("ROOFLM_TEST_CLI");
  return other && *other ? other : ROOFLM_CLI_PATH;
}

// `cwd`: the folder it runs in (empty: the test's working directory, the source tree).
inline CliResult run_cli(const std::string& args, int timeout_s = 120, const std::filesystem::path& cwd = {}) {
  TempDir io;
  const std::string cmd = (cwd.empty() ? "" : "cd '" + cwd.string() + "' && ") + "timeout -k 5 " +
                          std::to_string(timeout_s) + " " + cli_path() + " " + args + " >" +
                          (io.path() / "out").string() + " 2>" + (io.path() / "err").string();
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(io.path() / "out");
  r.err = slurp(io.path() / "err");
  return r;
}

}  // namespace rooflm::test
