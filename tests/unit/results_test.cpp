// Tests of engine/results: environment capture, results assembly and atomic writes (the reader:
// results_reader_test.cpp). Run: build/tests/rooflm_unit_tests --gtest_filter='Results*'
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/results/build_info.h"
#include "engine/results/results.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

// A fresh empty folder per test, removed afterwards.
class ResultsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    folder_ = fs::temp_directory_path() /
              ("rooflm_results_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }

  void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(read_text(path)); }

  std::vector<std::string> folder_entries(const fs::path& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
      names.push_back(fs::relative(entry.path(), folder).string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path folder_;
};

nlohmann::json sample_results() {
  const nlohmann::json environment = {{"gpu", "test gpu"}, {"host", "h"}};
  const nlohmann::json scenario = {{"name", "tiny"}, {"workload", {{"requests", 2}}}};
  const std::vector<nlohmann::json> runs = {{{"variant", {{"backend", "cpu"}}}},
                                            {{"variant", {{"backend", "sim"}}}}};
  return make_results(environment, scenario, runs);
}

TEST(ResultsDocument, MakeResultsLayout) {
  const nlohmann::json doc = sample_results();
  EXPECT_EQ(doc["schema"], "rooflm.result/1.5");
  EXPECT_EQ(doc["environment"]["gpu"], "test gpu");
  EXPECT_EQ(doc["scenario"]["name"], "tiny");
  ASSERT_TRUE(doc["runs"].is_array());
  ASSERT_EQ(doc["runs"].size(), 2u);
  EXPECT_EQ(doc["runs"][1]["variant"]["backend"], "sim");
  EXPECT_EQ(doc.size(), 4u);
}

TEST_F(ResultsFiles, RoundTripThroughAtomicWrite) {
  const fs::path path = folder_ / "nested" / "deeper" / "results.json";  // folders get created
  const nlohmann::json doc = sample_results();
  write_json_atomic(path, doc);
  EXPECT_EQ(read_json(path), doc);
  // the temporary file was renamed away: only the folders and results.json remain
  EXPECT_EQ(folder_entries(folder_),
            (std::vector<std::string>{"nested", "nested/deeper", "nested/deeper/results.json"}));
  // pretty-printed with a 2-space indent
  EXPECT_EQ(read_text(path), doc.dump(2) + "\n");
}

TEST_F(ResultsFiles, OverwritesAnExistingFile) {
  const fs::path path = folder_ / "results.json";
  write_text(path, "old contents that are not JSON");
  const nlohmann::json doc = sample_results();
  write_json_atomic(path, doc);
  EXPECT_EQ(read_json(path), doc);
  EXPECT_EQ(folder_entries(folder_), std::vector<std::string>{"results.json"});
}

TEST_F(ResultsFiles, ParentIsRegularFileThrowsAndLeavesNothing) {
  const fs::path blocker = folder_ / "not_a_folder";
  write_text(blocker, "x");
  const fs::path path = blocker / "results.json";
  try {
    write_json_atomic(path, sample_results());
    FAIL() << "write_json_atomic into a file's child did not throw";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  }
  EXPECT_EQ(folder_entries(folder_), std::vector<std::string>{"not_a_folder"});
}

TEST_F(ResultsFiles, TargetIsAFolderThrowsAndRemovesTemp) {
  // the temp file is written, then the rename over a non-empty folder fails: the temp must go
  const fs::path path = folder_ / "results.json";
  fs::create_directories(path / "inside");
  EXPECT_THROW(write_json_atomic(path, sample_results()), std::runtime_error);
  EXPECT_EQ(folder_entries(folder_), (std::vector<std::string>{"results.json", "results.json/inside"}));
}

TEST_F(ResultsFiles, TextIsWrittenAtomicallyAndAFailureLeavesNoFile) {
  const fs::path path = folder_ / "sub" / "report.md";
  write_text_atomic(path, "| a |\n");
  EXPECT_EQ(read_text(path), "| a |\n");
  write_text_atomic(path, "");  // an empty text is a valid (empty) file
  EXPECT_EQ(read_text(path), "");
  fs::create_directories(folder_ / "taken" / "inside");
  EXPECT_THROW(write_text_atomic(folder_ / "taken", "x"), std::runtime_error);
  EXPECT_EQ(folder_entries(folder_), (std::vector<std::string>{"sub", "sub/report.md", "taken", "taken/inside"}));
}

TEST(ResultsEnvironment, HasEveryKey) {
  const nlohmann::json environment = capture_environment(nlohmann::json::object());
  for (const char* key : {"gpu", "driver", "cuda", "clocks", "host", "os", "cpu", "compiler",
                          "build_type", "git_commit", "git_dirty", "timestamp", "rooflm_version"})
    EXPECT_TRUE(environment.contains(key)) << key;
  // the CPU backend has no GPU facts: they stay null
  EXPECT_TRUE(environment["gpu"].is_null());
  EXPECT_TRUE(environment["clocks"].is_null());
  EXPECT_TRUE(environment["host"].is_string());
  EXPECT_TRUE(environment["os"].is_string());
  EXPECT_GE(environment["cpu"]["logical_cores"].get<int64_t>(), 1);
  EXPECT_TRUE(environment["compiler"].is_string());
  EXPECT_FALSE(environment["build_type"].get<std::string>().empty());
  EXPECT_EQ(environment["rooflm_version"], "0.1.0");
  EXPECT_TRUE(std::regex_match(environment["timestamp"].get<std::string>(),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")))
      << environment["timestamp"];
}

TEST(ResultsEnvironment, GitCommitIsCompiledIn) {
  // the tests are built from a git checkout: its commit is compiled in (engine/results/build_info.h)
  const nlohmann::json environment = capture_environment(nullptr);
  ASSERT_TRUE(environment["git_commit"].is_string()) << environment["git_commit"];
  EXPECT_TRUE(std::regex_match(environment["git_commit"].get<std::string>(), std::regex("[0-9a-f]{40}")))
      << environment["git_commit"];
  EXPECT_EQ(environment["git_commit"], build_info().git_commit);
  EXPECT_TRUE(environment["git_dirty"].is_boolean());
  EXPECT_EQ(environment["build_type"], build_info().build_type);
}

TEST(ResultsEnvironment, GitCommitDoesNotFollowTheTreeAtRunTime) {
  // a results file names the binary's commit, whatever tree ROOFLM_SOURCE_DIR points at
  const fs::path folder = fs::temp_directory_path() / ("rooflm_not_git_" + std::to_string(::getpid()));
  fs::create_directories(folder);
  const char* previous = std::getenv("ROOFLM_SOURCE_DIR");
  const std::string saved = previous != nullptr ? previous : "";
  ::setenv("ROOFLM_SOURCE_DIR", folder.c_str(), 1);
  ::setenv("ROOFLM_GIT_COMMIT", "0000000000000000000000000000000000000000", 1);
  const nlohmann::json environment = capture_environment(nullptr);
  ::unsetenv("ROOFLM_GIT_COMMIT");
  if (previous != nullptr) ::setenv("ROOFLM_SOURCE_DIR", saved.c_str(), 1);
  else ::unsetenv("ROOFLM_SOURCE_DIR");
  fs::remove_all(folder);
  EXPECT_EQ(environment["git_commit"], build_info().git_commit);
}

TEST(ResultsEnvironment, VersionTextNamesTheCommitAndBuildType) {
  const std::string text = version_text();
  EXPECT_NE(text.find(std::string("rooflm ") + build_info().version), std::string::npos) << text;
  EXPECT_NE(text.find(build_info().git_commit), std::string::npos) << text;
  EXPECT_NE(text.find(std::string(build_info().build_type) + " build"), std::string::npos) << text;
}

TEST(ResultsEnvironment, DeviceInfoOverridesAndExtends) {
  const nlohmann::json device_info = {{"gpu", "NVIDIA H100 80GB HBM3"},
                                      {"clocks", {{"sm_mhz", 1980}}},
                                      {"device", {{"backend", "cpu"}, {"threads", 2}}}};
  const nlohmann::json environment = capture_environment(device_info);
  EXPECT_EQ(environment["gpu"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(environment["clocks"]["sm_mhz"], 1980);
  EXPECT_EQ(environment["device"]["threads"], 2);
  EXPECT_TRUE(environment["driver"].is_null());  // not in device_info: default stays
  EXPECT_TRUE(environment.contains("host"));
}

}  // namespace
}  // namespace rooflm
