// End-to-end: `rooflm calibrate-quant <scenario> -o/--output scales.json`: a file the scales reader
// accepts (exit 0), bad input exits 2 naming the key or file and writes nothing, SIGTERM mid-way
// exits 143 and writes nothing, and `rooflm run` with a bad quant.scales file exits 2 naming it.
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='CalibrateQuantE2e*'
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/model/quant_scales.h"
#include "tests/e2e/cli_runner.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

// A tiny-model scenario with a small calibration, written into `dir`.
fs::path write_scenario(const fs::path& dir, const std::string& extra = "") {
  const fs::path file = dir / "cal.json";
  test::write_text_file(file, R"({"schema": "rooflm.scenario/1", "name": "cal",
    "model": {"preset": "tiny", "synthetic_outliers": {"channels": 2, "scale": 30}},
    "engine": {"backend": "cpu", "threads": 2},
    "workload": {"requests": 1, "prompt_len": 4, "output_len": 2},
    "quant": {"calibration": {"sequences": 2, "tokens": 16}})" +
                                  extra + "}");
  return file;
}

TEST(CalibrateQuantE2e, WritesAFileTheReaderAccepts) {
  test::TempDir dir;
  const fs::path scenario = write_scenario(dir.path()), out = dir.path() / "scales.json";
  const test::CliRun r =
      test::run_cli("calibrate-quant " + scenario.string() + " --output " + out.string() + " --alpha 0.75 --tokens 12");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("16 linear ops"), std::string::npos) << r.out;
  const QuantScales q = read_quant_scales(out, build_step_program(model_preset("tiny"), Variant{}));
  EXPECT_EQ(q.alpha, 0.75);
  EXPECT_EQ(q.tokens, 12);
  EXPECT_EQ(q.sequences, 2);
  EXPECT_EQ(test::entries_under(dir.path()), (std::vector<std::string>{"cal.json", "scales.json"}));

  // a run naming the file accepts it; one naming a damaged copy exits 2 naming the file and the op
  const fs::path bad = dir.path() / "bad.json";
  std::string text = test::read_text_file(out);
  text.replace(text.find("\"o_proj\""), 8, "\"x_proj\"");
  test::write_text_file(bad, text);
  const fs::path run_scenario = write_scenario(dir.path(), R"(, "sweep": {"quant.scales": ["scales.json"]})");
  const test::CliRun ok = test::run_cli("run " + run_scenario.string() + " --out " + (dir.path() / "out").string());
  EXPECT_EQ(ok.code, 0) << ok.err;
  const test::CliRun refused = test::run_cli("run " + run_scenario.string() + " --set quant.scales=" + bad.string() +
                                             " --out " + (dir.path() / "out2").string());
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_NE(refused.err.find("quant.scales: scales file '" + bad.string() + "': ops[1] (layer 0 op \"x_proj\")"),
            std::string::npos)
      << refused.err;
  EXPECT_FALSE(fs::exists(dir.path() / "out2"));
}

TEST(CalibrateQuantE2e, BadInputExits2AndWritesNothing) {
  test::TempDir dir;
  const fs::path scenario = write_scenario(dir.path()), out = dir.path() / "scales.json";
  const auto expect_refused = [&](const std::string& args, const std::string& message) {
    const test::CliRun r = test::run_cli("calibrate-quant " + args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
    EXPECT_EQ(test::entries_under(dir.path()), std::vector<std::string>{"cal.json"}) << args;
  };
  expect_refused(scenario.string() + " -o " + out.string() + " --alpha 2",
                 "\"quant.alpha\" (from --set quant.alpha=2) must be in [0, 1], got 2");
  expect_refused(scenario.string() + " -o " + out.string() + " --tokens 4096",
                 "quant.calibration.tokens = 4096 exceeds the max_positions 2048 of model 'tiny'");
  expect_refused(
      scenario.string() + " -o " + out.string() + " --sequences 0",
      "\"quant.calibration.sequences\" (from --set quant.calibration.sequences=0) must be in [1, 1024], got 0");
  expect_refused(scenario.string() + " -o " + (dir.path() / "cal.json" / "x.json").string(), "--output");
  expect_refused(scenario.string(), "-o/--output FILE is required");
  expect_refused((dir.path() / "missing.json").string() + " --out " + out.string(), "missing.json");
  // one file is for one model: a sweep over models is refused
  const fs::path swept = write_scenario(dir.path(), R"(, "sweep": {"model.seed": [0, 1]})");
  expect_refused(swept.string() + " -o " + out.string(), "the sweep varies the model");
}

TEST(CalibrateQuantE2e, SigtermExits143AndWritesNothing) {
  test::TempDir dir;
  const fs::path scenario = write_scenario(dir.path()), out = dir.path() / "o" / "scales.json";
  const fs::path err_file = dir.path() / "err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::signal(SIGTERM, SIG_DFL);
    const std::string cli = test::cli_path();
    // 1024 sequences of 2048 tokens: minutes
    ::execl(cli.c_str(), cli.c_str(), "calibrate-quant", scenario.c_str(), "-o", out.c_str(), "--sequences", "1024",
            "--tokens", "2048", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (test::read_text_file(err_file).find("calibrating:") == std::string::npos &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGTERM);
  int status = 0;
  const auto signalled = std::chrono::steady_clock::now();
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() - signalled > std::chrono::seconds(60)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(WIFEXITED(status)) << test::read_text_file(err_file);
  EXPECT_EQ(WEXITSTATUS(status), 143) << test::read_text_file(err_file);
  EXPECT_EQ(test::entries_under(dir.path() / "o"), std::vector<std::string>{});
}

}  // namespace
}  // namespace rooflm
