// End-to-end: every command that reads results files (gate, compare, report, run --calibrate-from)
// refuses one it cannot trust (exit 2, the file and the JSON path of the first problem named) and
// leaves no output file; compare refuses files of different scenarios unless --force.
// Before the results reader existed, gate passed (exit 0) a candidate with null or mistyped
// metrics, crashed (exit 1) on null times or 1e400, and report left an empty HTML file.
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='ResultsFiles*'
#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "tests/e2e/cli_runner.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

class ResultsFilesE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    const test::CliRun a = run_cli("run scenarios/seed_a10.json --backend sim --out " + (dir_->path() / "a10").string());
    ASSERT_EQ(a.code, 0) << a.err;
    const test::CliRun q =
        run_cli("run scenarios/quickstart.json --backend sim --gpu a10 --out " + (dir_->path() / "quick").string());
    ASSERT_EQ(q.code, 0) << q.err;
    baseline_ = new nlohmann::json(nlohmann::json::parse(test::read_text_file(baseline_path())));
  }
  static void TearDownTestSuite() {
    delete baseline_;
    delete dir_;
  }

  static fs::path baseline_path() { return dir_->path() / "a10" / "results.json"; }
  static fs::path other_scenario_path() { return dir_->path() / "quick" / "results.json"; }

  // A copy of the baseline changed by `edit`, written to a fresh folder; its path.
  fs::path candidate(const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json doc = *baseline_;
    edit(doc);
    return write(doc.dump(1));
  }
  fs::path write(const std::string& text) {
    const fs::path path = out_.path() / ("candidate" + std::to_string(n_++) + ".json");
    test::write_text_file(path, text);
    return path;
  }

  // `gate` of the baseline against `cand` must refuse, naming the file and `fragment`, writing nothing.
  void expect_gate_refuses(const fs::path& cand, const std::string& fragment) {
    const fs::path md = out_.path() / "gate.md", js = out_.path() / "gate.json";
    const test::CliRun r = run_cli("gate --baseline " + baseline_path().string() + " --candidate " + cand.string() +
                                   " --markdown " + md.string() + " --json " + js.string());
    EXPECT_EQ(r.code, 2) << fragment << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("results file '" + cand.string() + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(md)) << "gate wrote its summary for a file it could not read";
    EXPECT_FALSE(fs::exists(js));
  }

  static inline test::TempDir* dir_ = nullptr;
  static inline nlohmann::json* baseline_ = nullptr;
  test::TempDir out_;
  int n_ = 0;
};

TEST_F(ResultsFilesE2e, GatePassesAnUnchangedCandidate) {
  const test::CliRun r = run_cli("gate --baseline " + baseline_path().string() + " --candidate " +
                                 candidate([](nlohmann::json&) {}).string());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(ResultsFilesE2e, GateRefusesNullMetrics) {  // passed (exit 0) before the reader validated
  expect_gate_refuses(candidate([](nlohmann::json& d) {
                        for (auto& run : d["runs"])
                          for (const char* m : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "queue_ms", "prefill_ms"})
                            run["summary"][m] = nullptr;
                      }),
                      "runs[0].summary.e2e_ms: expected object, is null");
  // null raw samples: exit 1 (a raw json.exception) before
  expect_gate_refuses(candidate([](nlohmann::json& d) { d["runs"][1]["requests"][0]["first_token"] = nullptr; }),
                      "runs[1].requests[0].first_token: expected number, is null");
}

TEST_F(ResultsFilesE2e, GateRefusesMetricsOfTheWrongType) {  // passed (exit 0) before
  expect_gate_refuses(candidate([](nlohmann::json& d) {
                        for (auto& run : d["runs"]) {
                          run["summary"]["ttft_ms"] = "fast";
                          run["summary"]["throughput"] = "lots";
                        }
                      }),
                      "runs[0].summary.throughput: expected object, is \"lots\"");
  expect_gate_refuses(candidate([](nlohmann::json& d) { d["runs"][0]["kernels"] = 7; }),
                      "runs[0].kernels: expected array, is 7");
  expect_gate_refuses(candidate([](nlohmann::json& d) { d["runs"][0]["valid"] = "yes"; }),
                      "runs[0].valid: expected boolean, is \"yes\"");
}

TEST_F(ResultsFilesE2e, GateRefusesMissingRunsOrSummaries) {  // exit 2 before too, but for "a variant missing"
  expect_gate_refuses(candidate([](nlohmann::json& d) { d.erase("runs"); }), "(top level): missing required key \"runs\"");
  expect_gate_refuses(candidate([](nlohmann::json& d) { d["runs"][0].erase("summary"); }),
                      "runs[0]: missing required key \"summary\"");
}

TEST_F(ResultsFilesE2e, GateRefusesFilesThatAreNotResults) {
  const std::string text = test::read_text_file(baseline_path());
  expect_gate_refuses(write(text.substr(0, text.size() / 2)), "not valid JSON (truncated or corrupt?)");
  expect_gate_refuses(write("[1, 2]"), "(top level): expected object, is array");
  std::string overflow = text;
  overflow.replace(overflow.find("\"valid\": true"), 13, "\"valid\": true, \"x\": 1e400");  // exit 1 before
  expect_gate_refuses(write(overflow), "number 1e400 does not fit a double");
  expect_gate_refuses(write(std::string(10000, '[')), "nested deeper than 64 levels");
}

TEST_F(ResultsFilesE2e, CompareRefusesAnotherScenarioUnlessForced) {  // exit 0 with "better/worse" before
  const std::string pair = baseline_path().string() + " " + other_scenario_path().string();
  const test::CliRun refused = run_cli("compare " + pair);
  EXPECT_EQ(refused.code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("scenario name differs: baseline \"seed_a10\", candidate \"quickstart\""), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out, "");

  const test::CliRun forced = run_cli("compare --force " + pair);
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_NE(forced.err.find("warning (--force): scenario name differs"), std::string::npos) << forced.err;
  EXPECT_NE(forced.out.find("medians of the raw samples"), std::string::npos) << forced.out;
  const test::CliRun json = run_cli("compare --force --format json " + pair);
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_FALSE(nlohmann::json::parse(json.out).at("mismatches").empty());

  const test::CliRun same = run_cli("compare " + baseline_path().string() + " " + baseline_path().string());
  EXPECT_EQ(same.code, 0) << same.err;
  const test::CliRun other_model = run_cli(
      "compare " + baseline_path().string() + " " +
      candidate([](nlohmann::json& d) { d["scenario"]["resolved"]["model"]["preset"] = "llama2-13b"; }).string());
  EXPECT_EQ(other_model.code, 2);
  EXPECT_NE(other_model.err.find("scenario model differs"), std::string::npos) << other_model.err;
  const test::CliRun other_gpu = run_cli(
      "compare " + baseline_path().string() + " " +
      candidate([](nlohmann::json& d) { d["environment"]["gpu"] = "NVIDIA H100 80GB HBM3"; }).string());
  EXPECT_EQ(other_gpu.code, 2);
  EXPECT_NE(other_gpu.err.find("GPU differs"), std::string::npos) << other_gpu.err;
  const fs::path bad = candidate([](nlohmann::json& d) { d["runs"][0]["steps"][0]["seconds"] = "1 ms"; });
  const test::CliRun unreadable = run_cli("compare --force " + baseline_path().string() + " " + bad.string());
  EXPECT_EQ(unreadable.code, 2);
  EXPECT_NE(unreadable.err.find("runs[0].steps[0].seconds: expected number"), std::string::npos) << unreadable.err;
}

TEST_F(ResultsFilesE2e, ReportOfAnInvalidFileLeavesNoFile) {  // an empty HTML file and exit 1 before
  const fs::path bad = candidate([](nlohmann::json& d) { d["runs"][0].erase("summary"); });
  for (const char* format : {"html", "md", "csv"}) {
    const fs::path out = out_.path() / (std::string("report.") + format);
    const test::CliRun r = run_cli("report " + bad.string() + " --format " + format + " -o " + out.string());
    EXPECT_EQ(r.code, 2) << format << ": " << r.err;
    EXPECT_NE(r.err.find("runs[0]: missing required key \"summary\""), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << format;
  }
  const fs::path md = out_.path() / "good" / "report.md";
  const test::CliRun good = run_cli("report " + baseline_path().string() + " --format md -o " + md.string());
  EXPECT_EQ(good.code, 0) << good.err;
  EXPECT_NE(test::read_text_file(md).find("| file | variant |"), std::string::npos);
  EXPECT_EQ(test::entries_under(md.parent_path()), std::vector<std::string>{"report.md"}) << "no temporary file left";
}

TEST_F(ResultsFilesE2e, CalibrateFromAnInvalidFileIsRefusedBeforeTheRun) {
  const fs::path bad = candidate([](nlohmann::json& d) { d["runs"][0]["roofline"]["phases"]["decode"] = "fast"; });
  const fs::path out = out_.path() / "sim";
  const test::CliRun r = run_cli("run scenarios/seed_a10.json --backend sim --calibrate-from " + bad.string() +
                                 " --out " + out.string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("runs[0].roofline.phases.decode: expected object, is \"fast\""), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "results.json"));
}

}  // namespace
}  // namespace rooflm
