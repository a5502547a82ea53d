// End-to-end: `rooflm run` on the CPU backend stopped by SIGINT / SIGTERM mid-run exits 130 / 143
// within a few seconds, says so, and leaves no results.json, report.html or temporary file.
// Before: the signal's default action killed the process (no exit status, no message).
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='Interrupt*'
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/e2e/cli_runner.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Stopped {
  bool exited = false;
  int code = -1;
  double seconds_after_signal = 0;
  std::string err;
};

// Starts a long CPU run (20000 requests of the tiny model: minutes), waits for its first progress
// line (it is in the step loop then), sends `signal`, and waits for the process to end.
Stopped interrupt_cpu_run(int signal, const fs::path& out, const fs::path& err_file) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::signal(SIGINT, SIG_DFL);  // not inherited as ignored (a test run in the background of a script)
    ::signal(SIGTERM, SIG_DFL);
    const std::string cli = test::cli_path();
    ::execl(cli.c_str(), cli.c_str(), "run", "scenarios/quickstart.json", "--backend", "cpu", "--set",
            "workload.requests=20000", "--out", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  Stopped s;
  const auto give_up = Clock::now() + std::chrono::seconds(120);
  while (test::read_text_file(err_file).find(" requests, ") == std::string::npos && Clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto signalled = Clock::now();
  ::kill(pid, signal);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() - signalled > std::chrono::seconds(60)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  s.seconds_after_signal = std::chrono::duration<double>(Clock::now() - signalled).count();
  s.exited = WIFEXITED(status);
  s.code = s.exited ? WEXITSTATUS(status) : -1;
  s.err = test::read_text_file(err_file);
  return s;
}

void expect_clean_stop(int signal, int code, const char* name) {
  test::TempDir dir;
  const fs::path out = dir.path() / "out";
  const Stopped s = interrupt_cpu_run(signal, out, dir.path() / "err");
  ASSERT_TRUE(s.exited) << name << " ended the process by its default action, not by exiting " << code << "\n" << s.err;
  EXPECT_EQ(s.code, code) << s.err;
  EXPECT_LT(s.seconds_after_signal, 10.0) << "a step of the tiny model takes milliseconds";
  EXPECT_NE(s.err.find(std::string("interrupted by ") + name), std::string::npos) << s.err;
  EXPECT_EQ(test::entries_under(out), std::vector<std::string>{}) << "nothing written, not even a temporary file";
}

TEST(InterruptE2e, SigintExits130AndWritesNothing) { expect_clean_stop(SIGINT, 130, "SIGINT"); }

TEST(InterruptE2e, SigtermExits143AndWritesNothing) { expect_clean_stop(SIGTERM, 143, "SIGTERM"); }

}  // namespace
}  // namespace rooflm
