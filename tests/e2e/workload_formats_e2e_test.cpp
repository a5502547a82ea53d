// End-to-end: the workload formats others use through the real CLI: scenarios/trace_replay.json
// (a Mooncake trace on the sim backend: its shared-prefix fraction in `validate` and results.json,
// the paged cache's prefix hits), a ShareGPT file with a byte-level BPE tokenizer.json on the cpu
// backend, and their bad input (exit 2, the file and line or entry named, nothing written).
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='WorkloadFormatsE2e*'
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/cli_run.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using test::CliResult;
using test::run_cli;

fs::path source_dir() { return ROOFLM_SOURCE_DIR; }
fs::path fixture(const std::string& name) { return source_dir() / "tests/fixtures/workload" / name; }

class WorkloadFormatsE2e : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    test::write_text_file(dir_.path() / name, text);
    return dir_.path() / name;
  }
  fs::path out() const { return dir_.path() / "out"; }
  CliResult run(const fs::path& scenario, const std::string& more = "") {
    return run_cli("run " + scenario.string() + " --out " + out().string() + " " + more, 120);
  }
  // Exit 2, each of `words` in stderr, no output folder.
  void expect_refused(const CliResult& r, const std::vector<std::string>& words) {
    EXPECT_EQ(r.code, 2) << r.err;
    for (const std::string& word : words) EXPECT_NE(r.err.find(word), std::string::npos) << "\"" << word << "\" in: " << r.err;
    EXPECT_FALSE(fs::exists(out())) << "nothing is written";
  }

  test::TempDir dir_;
};

// The trace's 24 lines hold 56891 prompt tokens, 38524 of them in leading blocks an earlier line
// has (worked out from the file: three system prompts and follow-ups that extend earlier ids).
TEST_F(WorkloadFormatsE2e, TraceReplayRecordsTheSharedPrefixAndThePagedCacheReusesIt) {
  const CliResult validated = run_cli("validate " + (source_dir() / "scenarios/trace_replay.json").string());
  ASSERT_EQ(validated.code, 0) << validated.err;
  EXPECT_NE(validated.out.find("24 lines, 56891 prompt tokens, shared-prefix fraction 0.677 (38524 tokens"),
            std::string::npos)
      << validated.out;
  const CliResult r = run(source_dir() / "scenarios/trace_replay.json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json results = nlohmann::json::parse(test::slurp(out() / "results.json"));
  const nlohmann::json& source = results["scenario"]["workload_source"];
  EXPECT_EQ(source["format"], "mooncake");
  EXPECT_EQ(source["shared_prefix_tokens"], 38524);
  EXPECT_NEAR(source["shared_prefix_fraction"].get<double>(), 38524.0 / 56891.0, 1e-12);
  ASSERT_EQ(results["runs"].size(), 2u);
  std::set<int64_t> prompts;
  for (const auto& request : results["runs"][0]["requests"]) prompts.insert(request["n_prompt"].get<int64_t>());
  EXPECT_TRUE(prompts.contains(1909)) << "the trace's input_length";
  const auto hits = [&](size_t run) { return results["runs"][run]["summary"]["counts"]["prefix_hit_tokens"].get<int64_t>(); };
  EXPECT_EQ(hits(0), 0) << "contiguous: no prefix cache";
  // paged: the shared blocks are found cached (38480 on this trace: a partial hash-id block is reused
  // only in whole 16-token KV blocks).
  EXPECT_GT(hits(1), 38524 * 95 / 100);
  EXPECT_LE(hits(1), 38524) << "never more than the trace shares";
  // The arrivals are the trace's at 2x: the last line (7266 ms after the first) at 3.633 s.
  double last = 0;
  for (const auto& request : results["runs"][0]["requests"]) last = std::max(last, request["arrival"].get<double>());
  EXPECT_NEAR(last, 3.633, 1e-9);
}

TEST_F(WorkloadFormatsE2e, ShareGptRunsWithTheModelsTokenizer) {
  const fs::path scenario = write("g.json", R"({"schema": "rooflm.scenario/1", "name": "sharegpt", "model": {"preset": "tiny"},
      "engine": {"backend": "cpu", "threads": 1},
      "workload": {"requests": 6, "sharegpt": {"file": ")" + fixture("sharegpt_small.json").string() +
                                                R"(", "tokenizer": ")" + fixture("tiny_bpe_tokenizer.json").string() +
                                                R"("}, "arrival": {"process": "gamma", "rate": 50, "burstiness": 0.5}}})");
  const CliResult validated = run_cli("validate " + scenario.string());
  ASSERT_EQ(validated.code, 0) << validated.err;
  EXPECT_NE(validated.out.find("3 pairs from 6 conversations (3 skipped)"), std::string::npos) << validated.out;
  const CliResult r = run(scenario);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json results = nlohmann::json::parse(test::slurp(out() / "results.json"));
  EXPECT_EQ(results["scenario"]["workload_source"]["pairs"], 3);
  EXPECT_EQ(results["scenario"]["resolved"]["workload"]["arrival"]["burstiness"], 0.5);
  const std::set<std::pair<int64_t, int64_t>> pairs = {{3, 3}, {1, 7}, {2, 1}};
  for (const auto& request : results["runs"][0]["requests"])
    EXPECT_TRUE(pairs.contains({request["n_prompt"].get<int64_t>(), request["n_output"].get<int64_t>()})) << request.dump();
}

TEST_F(WorkloadFormatsE2e, MalformedFilesAreRefusedNamingTheFileAndLineOrEntry) {
  write("t.jsonl", R"({"timestamp": 0, "input_length": 600, "output_length": 2, "hash_ids": [1, 2]})" "\n"
                   R"({"timestamp": 10, "input_length": 600, "output_length": 2, "hash_ids": [1, "x"]})" "\n");
  expect_refused(run(write("t.json", R"({"schema": "rooflm.scenario/1", "name": "t", "model": {"preset": "tiny"},
      "engine": {"backend": "cpu"}, "workload": {"arrival": {"process": "trace", "file": "t.jsonl", "format": "mooncake"}}})")),
                 {"\"workload.arrival.file\"", "t.jsonl:2:", "\"hash_ids\"[1] must be an integer"});
  write("c.json", R"([{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]},
      {"conversations": [{"from": "human"}]}])");
  expect_refused(run(write("g.json", R"({"schema": "rooflm.scenario/1", "name": "g", "model": {"preset": "tiny"},
      "engine": {"backend": "cpu"}, "workload": {"sharegpt": {"file": "c.json", "tokenizer": ")" +
                                   fixture("tiny_bpe_tokenizer.json").string() + R"("}}})")),
                 {"\"workload.sharegpt.file\"", "c.json: [1].conversations[0]: missing field \"value\""});
  expect_refused(run(write("b.json", R"({"schema": "rooflm.scenario/1", "name": "b", "model": {"preset": "tiny"},
      "engine": {"backend": "cpu"}, "workload": {"arrival": {"process": "gamma", "rate": 4, "cv": 1, "burstiness": 1}}})")),
                 {"\"workload.arrival.cv\" and \"workload.arrival.burstiness\" are both set"});
  expect_refused(run(write("k.json", R"({"schema": "rooflm.scenario/1", "name": "k", "model": {"preset": "tiny"},
      "engine": {"backend": "cpu"}, "workload": {"sharegpt": {"file": "c.json", "tokenizer": "tokenizer.vocab"}}})")),
                 {"\"workload.sharegpt.tokenizer\"", "tokenizer.vocab not found"});
}

}  // namespace
}  // namespace rooflm
