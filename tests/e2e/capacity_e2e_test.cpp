// End-to-end: the capacity search (scenario `search`) through the real CLI on the sim and cpu
// backends, its bad input, the default output folder (out/<scenario>/<UTC timestamp> + latest) and
// `rooflm --version`.
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='Capacity*:DefaultOut*:Version*'
#include <gtest/gtest.h>

#include <regex>
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

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(test::slurp(path)); }

fs::path source_dir() { return ROOFLM_SOURCE_DIR; }

// The sim scenario with a search; `search` and `arrival` replace its blocks, `extra` adds keys.
std::string sim_scenario(const std::string& search, const std::string& arrival = R"({"process": "poisson", "rate": 1})",
                         const std::string& extra = R"("slo": {"ttft_ms": 1000, "tpot_ms": 50})") {
  return R"({"schema": "rooflm.scenario/1", "name": "cap", "model": {"preset": "llama2-7b"},
  "engine": {"backend": "sim", "gpu": "h200", "batching": {"policy": "continuous", "max_batch": 16}},
  "workload": {"requests": 256, "prompt_len": 256, "output_len": 64, "arrival": )" + arrival + R"(, "seed": 3},
  "measure": {"record_requests": false, "record_steps": false},
  "search": )" + search + (extra.empty() ? "" : ",\n" + extra) + "}";
}

class CapacityE2e : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    test::write_text_file(dir_.path() / name, text);
    return dir_.path() / name;
  }
  CliResult run(const fs::path& scenario, const std::string& out, const std::string& more = "") {
    return run_cli("run " + scenario.string() + " --out " + (dir_.path() / out).string() + " " + more, 300);
  }
  test::TempDir dir_;
};

TEST_F(CapacityE2e, CapacityScenarioOnSimFindsEveryVariantAndPrintsRatios) {
  const fs::path scenario = source_dir() / "scenarios" / "capacity.json";
  const CliResult r = run(scenario, "a");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json doc = read_json(dir_.path() / "a" / "results.json");
  EXPECT_EQ(doc.at("schema"), "rooflm.result/1.5");
  const nlohmann::json& capacity = doc.at("capacity");
  ASSERT_EQ(capacity.size(), 4u);
  std::set<std::string> labels;
  for (const auto& run : doc.at("runs")) {
    ASSERT_TRUE(run.contains("probe")) << run.at("variant").at("label");
    labels.insert(run.at("variant").at("label").get<std::string>());
  }
  EXPECT_EQ(labels.size(), doc.at("runs").size()) << "every probe has its own label";
  int64_t probes = 0;
  for (const auto& c : capacity) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(c.at("status"), "found");
    EXPECT_EQ(c.at("path"), "workload.arrival.rate");
    const double pass = c.at("bracket").at("pass").get<double>(), fail = c.at("bracket").at("fail").get<double>();
    EXPECT_EQ(c.at("value"), pass);
    EXPECT_LE((fail - pass) / pass, c.at("tolerance").get<double>());
    EXPECT_FALSE(c.at("bound_by").empty());
    probes += c.at("probes").get<int64_t>();
    for (const auto& label : c.at("probe_runs")) EXPECT_TRUE(labels.count(label.get<std::string>())) << label;
  }
  EXPECT_EQ(probes, int64_t(doc.at("runs").size()));
  // continuous batching sustains more load than static at the same SLO; paged KV more than contiguous
  auto value = [&](const std::string& variant) {
    for (const auto& c : capacity)
      if (c.at("variant") == variant) return c.at("value").get<double>();
    return 0.0;
  };
  EXPECT_GT(value("policy=continuous layout=contiguous"), 2 * value("policy=static layout=contiguous"));
  EXPECT_GT(value("policy=continuous layout=paged"), 1.5 * value("policy=continuous layout=contiguous"));
  EXPECT_NE(r.out.find("continuous / static (layout=contiguous): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x at the same SLO"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("paged / contiguous (policy=continuous): "), std::string::npos) << r.out;

  // deterministic on the sim backend: the same probes, the same capacities
  ASSERT_EQ(run(scenario, "b").code, 0);
  const nlohmann::json again = read_json(dir_.path() / "b" / "results.json");
  EXPECT_EQ(again.at("capacity"), capacity);
}

TEST_F(CapacityE2e, ClosedLoopConcurrencyIsSearchedInWholeNumbers) {
  const fs::path file = write("c.json", sim_scenario(R"({"path": "workload.arrival.concurrency", "lo": 1, "hi": 64})",
                                                     R"({"process": "closed_loop", "concurrency": 1})",
                                                     R"("slo": {"ttft_ms": 200})"));
  const CliResult r = run(file, "c");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json doc = read_json(dir_.path() / "c" / "results.json");
  for (const auto& run : doc.at("runs")) EXPECT_TRUE(run.at("probe").at("value").is_number_integer()) << run.at("probe");
  const nlohmann::json& c = doc.at("capacity").at(0);
  ASSERT_EQ(c.at("status"), "found") << c.dump();
  EXPECT_EQ(c.at("bracket").at("fail").get<int64_t>() - c.at("bracket").at("pass").get<int64_t>(), 1) << c.dump();
  EXPECT_EQ(c.at("value"), 16) << "16 fit one batch (max_batch); a 17th waits a whole request: " << c.dump();
  EXPECT_EQ(c.at("bound_by").at(0), "ttft_ms") << c.dump();
}

TEST_F(CapacityE2e, RunsOnTheCpuBackend) {
  const fs::path file = write("cpu.json", R"({"schema": "rooflm.scenario/1", "name": "cap_cpu", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu", "threads": 1}, "workload": {"requests": 3, "prompt_len": 4, "output_len": 2,
    "arrival": {"process": "constant", "rate": 100}},
    "slo": {"ttft_ms": 60000}, "search": {"path": "workload.arrival.rate", "lo": 100, "hi": 300}})");
  const CliResult r = run(file, "cpu");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json doc = read_json(dir_.path() / "cpu" / "results.json");
  const nlohmann::json& c = doc.at("capacity").at(0);
  EXPECT_EQ(c.at("status"), "at_hi") << c.dump();  // a minute of TTFT: every probe passes
  EXPECT_EQ(c.at("value"), 300.0);
  EXPECT_EQ(c.at("bound_by"), nlohmann::json::parse(R"(["search.hi"])"));
  EXPECT_EQ(doc.at("runs").size(), 3u);  // 100, 200, 300
  EXPECT_EQ(doc.at("runs").at(0).at("variant").at("backend"), "cpu");
}

TEST_F(CapacityE2e, BadSearchIsRefusedNamingTheFieldAndWritesNothing) {
  struct Case {
    std::string search, arrival, slo;
    std::vector<std::string> words;
  };
  const std::string rate = R"({"process": "poisson", "rate": 1})";
  const std::string slo = R"("slo": {"ttft_ms": 1000})";
  const std::vector<Case> cases = {
      {R"({"path": "workload.requests", "lo": 1, "hi": 8})", rate, slo, {"\"search.path\"", "workload.arrival.rate"}},
      {R"({"path": "workload.arrival.rate", "lo": 8, "hi": 8})", rate, slo, {"\"search.hi\"", "greater than search.lo = 8"}},
      {R"({"path": "workload.arrival.rate", "lo": 0, "hi": 8})", rate, slo, {"\"search.lo\"", "> 0"}},
      {R"({"path": "workload.arrival.rate", "lo": -1, "hi": 8})", rate, slo, {"\"search.lo\"", "> 0"}},
      {R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8, "tolerance": 1})", rate, slo, {"\"search.tolerance\"", "(0, 1)"}},
      {R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8, "tolerance": 0})", rate, slo, {"\"search.tolerance\"", "(0, 1)"}},
      {R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8, "goodput_fraction": 1.5})", rate, slo,
       {"\"search.goodput_fraction\"", "(0, 1]"}},
      {R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8, "slo": "p42"})", rate, slo, {"\"search.slo\"", "p99"}},
      {R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8})", rate, "", {"\"search\"", "needs an SLO", "slo.ttft_ms"}},
      {R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8})", R"({"process": "burst"})", slo,
       {"\"search.path\"", "poisson, constant or gamma"}},
      {R"({"path": "workload.arrival.concurrency", "lo": 1.5, "hi": 8})", R"({"process": "closed_loop", "concurrency": 1})",
       slo, {"\"search.lo\"", "integer"}},
      {R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8, "bogus": 1})", rate, slo, {"search.bogus"}},
      {R"({"lo": 1, "hi": 8})", rate, slo, {"search.path"}},
      {R"({"path": "workload.arrival.rate", "lo": 1e-9, "hi": 8})", rate, slo, {"search.lo", "86400"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.search);
    const fs::path file = write("bad.json", sim_scenario(c.search, c.arrival, c.slo));
    const CliResult r = run(file, "bad");
    EXPECT_EQ(r.code, 2) << r.err;
    for (const std::string& word : c.words) EXPECT_NE(r.err.find(word), std::string::npos) << word << " in: " << r.err;
    EXPECT_FALSE(fs::exists(dir_.path() / "bad")) << "no output for a refused scenario";
    EXPECT_EQ(run_cli("validate " + file.string()).code, 2);
  }
  // the searched path must not be swept
  const fs::path swept = write("swept.json", sim_scenario(R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8})", rate,
                                                          slo + R"(, "sweep": {"workload.arrival.rate": [1, 2]})"));
  const CliResult r = run(swept, "bad");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("sweep[\"workload.arrival.rate\"] sets search.path"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "bad"));
}

TEST_F(CapacityE2e, SearchKeysAreSettableNotSweepable) {
  const fs::path file = write("s.json", sim_scenario(R"({"path": "workload.arrival.rate", "lo": 1, "hi": 8})"));
  const CliResult set = run(file, "s", "--set search.hi=2");
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(read_json(dir_.path() / "s" / "results.json").at("capacity").at(0).at("hi"), 2.0);
  const CliResult sweep = run(file, "t", "--set 'sweep.search.hi=[2,4]'");
  EXPECT_EQ(sweep.code, 2) << sweep.err;
  EXPECT_NE(sweep.err.find("unknown sweep path"), std::string::npos) << sweep.err;
}

TEST_F(CapacityE2e, GateComparesCapacityHigherIsBetter) {
  const fs::path file = write("g.json", sim_scenario(R"({"path": "workload.arrival.rate", "lo": 1, "hi": 256, "tolerance": 0.02})"));
  ASSERT_EQ(run(file, "base").code, 0);
  const std::string base = (dir_.path() / "base" / "results.json").string();
  const CliResult same = run_cli("gate --baseline " + base + " --candidate " + base);
  EXPECT_EQ(same.code, 0) << same.out << same.err;
  // a tighter SLO is another search: refused, not judged
  ASSERT_EQ(run(file, "tight", "--set slo.tpot_ms=20").code, 0);
  const std::string tight = (dir_.path() / "tight" / "results.json").string();
  const CliResult refused = run_cli("gate --baseline " + base + " --candidate " + tight);
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_NE((refused.out + refused.err).find("search limits differs"), std::string::npos) << refused.out << refused.err;
  // every step slower (the fixture's efficiency 0.12 of the roofline): a lower capacity, a regression
  ASSERT_EQ(run(file, "slow", "--calibrate-from " + (source_dir() / "tests/fixtures/results/sim_efficiency.json").string()).code, 0);
  const CliResult slow = run_cli("gate --baseline " + base + " --candidate " + (dir_.path() / "slow" / "results.json").string());
  EXPECT_EQ(slow.code, 1) << slow.out << slow.err;
  EXPECT_NE(slow.out.find("**REGRESSION**"), std::string::npos) << slow.out;
  // a lower capacity never passes as "better": the candidate as baseline is not a regression
  const CliResult faster = run_cli("gate --baseline " + (dir_.path() / "slow" / "results.json").string() + " --candidate " + base);
  EXPECT_EQ(faster.code, 0) << faster.out << faster.err;
}

TEST(DefaultOut, EachRunGetsAFreshFolderAndLatestPointsAtTheNewest) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "q.json", R"({"schema": "rooflm.scenario/1", "name": "q", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu", "threads": 1}, "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})");
  std::vector<fs::path> folders;
  for (int i = 0; i < 2; ++i) {
    const CliResult r = run_cli("run q.json", 120, dir.path());
    ASSERT_EQ(r.code, 0) << r.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("results: (out/q/[0-9]{8}T[0-9]{6}Z(-[0-9]+)?)/results.json")))
        << r.out;
    folders.push_back(dir.path() / m[1].str());
    EXPECT_NE(r.out.find("latest: out/q/latest -> " + folders.back().filename().string()), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(folders.back() / "results.json"));
  }
  EXPECT_NE(folders[0], folders[1]) << "the second run must not overwrite the first";
  EXPECT_TRUE(fs::exists(folders[0] / "results.json"));
  const fs::path latest = dir.path() / "out" / "q" / "latest";
  ASSERT_TRUE(fs::is_symlink(latest));
  EXPECT_EQ(fs::read_symlink(latest), folders[1].filename());
  // a refused run leaves no empty folder behind
  const CliResult bad = run_cli("run q.json --set workload.requests=0", 60, dir.path());
  EXPECT_EQ(bad.code, 2);
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "out" / "q")) n += e.is_directory() && !e.is_symlink();
  EXPECT_EQ(n, 2u);
}

TEST(Version, PrintsTheCompiledInCommitThatResultsRecord) {
  const CliResult v = run_cli("--version");
  ASSERT_EQ(v.code, 0) << v.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(v.out, m, std::regex("^rooflm [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit ([0-9a-f]{40})"))) << v.out;
  EXPECT_NE(v.out.find(" build)"), std::string::npos) << v.out;
  test::TempDir dir;
  test::write_text_file(dir.path() / "q.json", R"({"schema": "rooflm.scenario/1", "name": "q", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu", "threads": 1}, "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})");
  // run from a folder that is no git tree, with ROOFLM_SOURCE_DIR pointing there: the commit is the binary's
  const CliResult r = run_cli("run q.json --out o", 120, dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_json(dir.path() / "o" / "results.json").at("environment").at("git_commit"), m[1].str());
  EXPECT_EQ(run_cli("").code, 2) << "no subcommand is still a usage error";
}

}  // namespace
}  // namespace rooflm
