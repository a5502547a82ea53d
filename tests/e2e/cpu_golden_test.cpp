// No-regression guard of the cpu backend through the one-recipe redesign: `rooflm generate` on the
// tiny model must give the greedy tokens and logits recorded before it (tests/fixtures/golden/,
// written by the cpu backend at 97b44f0), bit for bit, with either kernel set: both recipes compute
// every output element in the same order in fp32.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

class CpuGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(CpuGolden, TinyModelTokensAndLogitsAreBitIdentical) {
  const nlohmann::json golden = read_json("tests/fixtures/golden/tiny_cpu_generate.json");
  std::string prompt;
  for (const auto& t : golden.at("prompt")) prompt += (prompt.empty() ? "" : ",") + std::to_string(t.get<int>());
  test::TempDir dir;
  const auto out = dir.path() / "logits.json";
  const std::string cmd = std::string(ROOFLM_CLI_PATH) + " generate --model tiny --backend cpu --kernels " + GetParam() +
                          " --prompt " + prompt + " --steps " + std::to_string(golden.at("steps").get<int>()) +
                          " --logits " + out.string() + " > /dev/null";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  const nlohmann::json got = read_json(out);
  EXPECT_EQ(got.at("tokens"), golden.at("tokens"));
  const auto& want_logits = golden.at("logits");
  for (size_t step = 0; step < want_logits.size(); ++step) {
    const auto& want = want_logits[step];
    const auto& have = got.at("logits").at(step);
    ASSERT_EQ(have.size(), want.size());
    size_t differing = 0;
    for (size_t v = 0; v < want.size(); ++v) differing += have[v].get<float>() != want[v].get<float>();
    EXPECT_EQ(differing, 0u) << "step " << step << ": logits differ from the golden file";
  }
}

INSTANTIATE_TEST_SUITE_P(KernelSets, CpuGolden, ::testing::Values("naive", "fused"));

}  // namespace
}  // namespace rooflm
