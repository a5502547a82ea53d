// End-to-end: measure.percentiles, token goodput and the intervals over repetitions in results.json
// and the summary table; --quiet / --no-progress; the -o/--output spelling of single-file outputs;
// `rooflm export` in each format (checked against tests/fixtures/export/*.schema.json) and its bad
// input; `rooflm gate`'s exit codes 0 pass, 1 regression, 2 invalid input, 3 the gate itself failed.
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='MetricsCli*'
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/results/json_schema_check.h"
#include "tests/e2e/cli_run.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

using test::CliResult;
using test::run_cli;
using test::slurp;

// Tiny model on the cpu backend, a few short requests: a second or so per run.
std::string cpu_scenario(const std::string& measure) {
  return R"({"schema": "rooflm.scenario/1", "name": "metrics_e2e", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu", "batching": {"policy": "static", "max_batch": 2}},
    "workload": {"requests": 4, "prompt_len": 8, "output_len": 4, "arrival": {"process": "burst"}},
    "slo": {"ttft_ms": 100000},
    "measure": )" + measure + "}";
}

nlohmann::json export_schema(const std::string& name) {
  return nlohmann::json::parse(slurp(fs::path("tests/fixtures/export") / name));
}

class MetricsCli : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    test::write_text_file(dir_.path() / name, text);
    return dir_.path() / name;
  }
  // Runs the scenario into dir/<out>; returns results.json.
  fs::path run(const std::string& measure, const std::string& out, const std::string& flags = "") {
    const fs::path scenario = write(out + ".json", cpu_scenario(measure));
    last_ = run_cli("run " + scenario.string() + " --out " + (dir_.path() / out).string() + " " + flags);
    EXPECT_EQ(last_.code, 0) << last_.err;
    return dir_.path() / out / "results.json";
  }
  test::TempDir dir_;
  CliResult last_;
};

TEST_F(MetricsCli, ChosenPercentilesIntervalsAndTokenGoodput) {
  const fs::path results = run(R"({"percentiles": [99.9, 50, 90], "repetitions": 3})", "p");
  EXPECT_NE(last_.out.find("TTFT p50"), std::string::npos) << last_.out;
  EXPECT_NE(last_.out.find("TTFT p99.9"), std::string::npos) << last_.out;
  EXPECT_NE(last_.out.find("ITL p99.9"), std::string::npos) << last_.out;
  EXPECT_NE(last_.out.find("good tok/s"), std::string::npos) << last_.out;
  EXPECT_EQ(last_.out.find("TTFT p99 "), std::string::npos) << last_.out;
  const nlohmann::json doc = nlohmann::json::parse(slurp(results));
  EXPECT_EQ(doc.at("schema"), "rooflm.result/1.5");
  EXPECT_EQ(doc["scenario"]["resolved"]["measure"]["percentiles"], nlohmann::json::parse("[50.0, 90.0, 99.9]"));
  const nlohmann::json& s = doc.at("runs").at(0).at("summary");
  EXPECT_EQ(s.at("percentiles"), nlohmann::json::parse("[50.0, 90.0, 99.9]"));
  for (const char* metric : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "queue_ms", "prefill_ms"}) {
    for (const char* key : {"p50", "p90", "p99.9"}) EXPECT_TRUE(s.at(metric).at(key).is_number()) << metric << key;
    EXPECT_FALSE(s.at(metric).contains("p99")) << metric;
  }
  // every request meets the 100 s TTFT limit: token goodput is the output throughput
  EXPECT_DOUBLE_EQ(s.at("goodput_tok_s").get<double>(), s.at("throughput").at("output_tok_s").get<double>());
  EXPECT_EQ(s.at("slo_met_output_tokens"), 3 * 4 * 4);
  const nlohmann::json& ci = s.at("ci");
  for (const char* key : {"ttft_ms.p50", "ttft_ms.p99.9", "tpot_ms.p90", "e2e_ms.p50", "output_tok_s", "req_s",
                          "goodput_req_s", "goodput_tok_s"}) {
    SCOPED_TRACE(key);
    const nlohmann::json& interval = ci.at(key);
    EXPECT_EQ(interval.at("method"), "student_t");
    EXPECT_EQ(interval.at("level"), 0.95);
    EXPECT_EQ(interval.at("n"), 3);
    ASSERT_TRUE(interval.at("lo").is_number());
    EXPECT_LE(interval.at("lo").get<double>(), interval.at("mean").get<double>());
    EXPECT_GE(interval.at("hi").get<double>(), interval.at("mean").get<double>());
  }
  // the file still goes through every reader
  EXPECT_EQ(run_cli("report " + results.string() + " --format md").code, 0);
}

TEST_F(MetricsCli, OneRepetitionHasNoIntervalAndSaysWhy) {
  const nlohmann::json doc = nlohmann::json::parse(slurp(run("{}", "one")));
  const nlohmann::json& s = doc.at("runs").at(0).at("summary");
  EXPECT_EQ(s.at("percentiles"), nlohmann::json::parse("[50.0, 90.0, 95.0, 99.0]"));
  const nlohmann::json& ttft = s.at("ci").at("ttft_ms.p99");
  EXPECT_EQ(ttft.at("n"), 1);
  EXPECT_TRUE(ttft.at("lo").is_null());
  EXPECT_TRUE(ttft.at("hi").is_null());
  EXPECT_NE(ttft.at("why").get<std::string>().find("raise measure.repetitions"), std::string::npos);
}

TEST_F(MetricsCli, BadPercentilesExitTwoNamingTheField) {
  const fs::path scenario = write("bad.json", cpu_scenario(R"({"percentiles": [50, 100]})"));
  const CliResult r = run_cli("run " + scenario.string() + " --out " + (dir_.path() / "bad").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("\"measure.percentiles\" holds 100, outside (0, 100)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "bad"));
}

TEST_F(MetricsCli, QuietPrintsOnlyThePathAndNoProgressKeepsTheTable) {
  const fs::path results = run("{}", "quiet", "--quiet");
  EXPECT_EQ(last_.out, results.string() + "\n");
  EXPECT_EQ(last_.err.find("report: "), std::string::npos) << last_.err;  // only a failure would show
  EXPECT_EQ(last_.err.find(" rep "), std::string::npos) << last_.err;
  EXPECT_TRUE(fs::exists(results));
  run("{}", "plain", "--no-progress");
  EXPECT_NE(last_.out.find("TTFT p50"), std::string::npos);
  EXPECT_EQ(last_.err.find(" rep "), std::string::npos) << last_.err;
}

TEST_F(MetricsCli, SingleFileOutputsAreDashOAndTheOldOutSpellingWarns) {
  const fs::path results = run("{}", "r");
  const CliResult now = run_cli("report " + results.string() + " --format csv --output " + (dir_.path() / "a.csv").string());
  EXPECT_EQ(now.code, 0) << now.err;
  EXPECT_EQ(now.err, "");
  const CliResult old = run_cli("report " + results.string() + " --format csv --out " + (dir_.path() / "b.csv").string());
  EXPECT_EQ(old.code, 0) << old.err;
  EXPECT_NE(old.err.find("report --out FILE is now -o/--output FILE"), std::string::npos) << old.err;
  EXPECT_EQ(slurp(dir_.path() / "a.csv"), slurp(dir_.path() / "b.csv"));
  const CliResult help = run_cli("report --help");
  EXPECT_NE(help.out.find("-o,--output FILE"), std::string::npos) << help.out;
  EXPECT_NE(run_cli("run --help").out.find("--out DIR"), std::string::npos);
}

TEST_F(MetricsCli, ExportEveryFormatConformsToItsSchema) {
  const fs::path results = run(R"({"repetitions": 2})", "x");
  const auto exported = [&](const std::string& format) {
    const fs::path out = dir_.path() / ("export." + format);
    const CliResult r = run_cli("export " + results.string() + " --format " + format + " -o " + out.string());
    EXPECT_EQ(r.code, 0) << r.err;
    return slurp(out);
  };
  const nlohmann::json bmf = nlohmann::json::parse(exported("bencher"));
  EXPECT_EQ(json_schema_violations(bmf, export_schema("bencher.schema.json")), std::vector<std::string>{});
  EXPECT_TRUE(bmf.at("metrics_e2e/default").at("ttft-ms-p99").contains("lower_value"));
  for (const std::string format : {"github-benchmark", "github-benchmark-bigger"}) {
    const nlohmann::json entries = nlohmann::json::parse(exported(format));
    EXPECT_EQ(json_schema_violations(entries, export_schema("github-benchmark.schema.json")), std::vector<std::string>{});
    EXPECT_FALSE(entries.empty()) << format;
  }
  std::istringstream lines(exported("jsonl"));
  size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count)
    EXPECT_EQ(json_schema_violations(nlohmann::json::parse(line), export_schema("requests.schema.json")),
              std::vector<std::string>{})
        << line;
  EXPECT_EQ(count, 2u * 4u);  // every request of both repetitions
  // stdout without -o
  const CliResult r = run_cli("export " + results.string() + " --format bencher");
  EXPECT_EQ(nlohmann::json::parse(r.out), bmf);
}

TEST_F(MetricsCli, ExportOfABrokenFileExitsTwoNamingIt) {
  const fs::path broken = write("broken.json", R"({"schema": "rooflm.result/1.5", "runs": [)");
  const fs::path out = dir_.path() / "never.json";
  const CliResult r = run_cli("export " + broken.string() + " --format bencher -o " + out.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("results file '" + broken.string() + "'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  const fs::path no_requests = run(R"({"record_requests": false})", "nr");
  const CliResult jsonl = run_cli("export " + no_requests.string() + " --format jsonl -o " + out.string());
  EXPECT_EQ(jsonl.code, 2);
  EXPECT_NE(jsonl.err.find("has no per-request records"), std::string::npos) << jsonl.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(run_cli("export " + no_requests.string() + " --format yaml").code, 2);
}

// Exit codes of `rooflm gate`: seed_a10 on the sim backend at 0.9 of the roofline, and again 10%
// slower (tests/fixtures/results/sim_efficiency.json, as baseline_gate_test.sh does).
TEST_F(MetricsCli, GateExitCodesZeroOneTwoThree) {
  const auto sim_run = [&](const std::string& name, const std::string& efficiency) {
    std::string text = slurp("tests/fixtures/results/sim_efficiency.json");
    for (size_t at; (at = text.find("0.123456789")) != std::string::npos;) text.replace(at, 11, efficiency);
    const fs::path calibration = write(name + "_efficiency.json", text);
    const fs::path out = dir_.path() / name;
    const CliResult r = run_cli("run scenarios/seed_a10.json --backend sim --quiet --calibrate-from " +
                                calibration.string() + " --out " + out.string());
    EXPECT_EQ(r.code, 0) << r.err;
    return out / "results.json";
  };
  const fs::path base = sim_run("base", "0.9"), slow = sim_run("slow", "0.8181818181818181");
  const std::string pair = "gate --baseline " + base.string() + " --candidate ";
  EXPECT_EQ(run_cli(pair + base.string()).code, 0);
  EXPECT_EQ(run_cli(pair + slow.string()).code, 1);
  const fs::path broken = write("broken.json", "{");
  EXPECT_EQ(run_cli(pair + broken.string()).code, 2);
  EXPECT_EQ(run_cli(pair + base.string() + " --json " + (dir_.path() / "base").string()).code, 2);  // a folder
  const CliResult help = run_cli("gate --help");
  EXPECT_NE(help.out.find("3 the gate itself failed"), std::string::npos) << help.out;

  // 3: the --json write fails midway (a 1 KiB file size limit, SIGXFSZ ignored): an internal error, not a regression
  const fs::path json = dir_.path() / "gate.json";
  const std::string cmd = "trap '' XFSZ; ulimit -f 2; exec " + test::cli_path() + " " + pair + base.string() +
                          " --json " + json.string() + " >/dev/null 2>" + (dir_.path() / "gate.err").string();
  const int status = std::system(cmd.c_str());  // /bin/sh -c
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << slurp(dir_.path() / "gate.err");
  EXPECT_NE(slurp(dir_.path() / "gate.err").find("rooflm: internal error: gate failed: cannot write"), std::string::npos);
  EXPECT_FALSE(fs::exists(json));
}

}  // namespace
}  // namespace rooflm
