// End-to-end: the rooflm CLI on the CPU backend. Checks exit codes (0 ok, 1 run failed, 2 bad
// input), that messages name the offending key / file, that results.json carries every key of the
// contract, and that a failed run leaves no results file behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/model/safetensors.h"
#include "tests/e2e/cli_run.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

using test::CliResult;
using test::slurp;

CliResult rooflm_cli(const std::string& args) { return test::run_cli(args); }

TEST(CliE2e, QuickstartWritesResultsWithEveryContractKey) {
  test::TempDir dir;
  const CliResult r = rooflm_cli("run scenarios/quickstart.json --out " + dir.path().string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("TTFT p50"), std::string::npos) << r.out;
  const auto doc = nlohmann::json::parse(slurp(dir.path() / "results.json"));
  EXPECT_EQ(doc.at("schema"), "rooflm.result/1.5");
  for (const char* k : {"gpu", "driver", "cuda", "clocks", "host", "git_commit", "timestamp"})
    EXPECT_TRUE(doc.at("environment").contains(k)) << k;
  EXPECT_TRUE(doc.at("scenario").is_object());
  ASSERT_GE(doc.at("runs").size(), 2u) << "quickstart compares at least two variants";
  for (const auto& run : doc.at("runs")) {
    for (const char* k : {"backend", "kernels", "kv_cache", "precision", "batching", "launch"})
      EXPECT_TRUE(run.at("variant").contains(k)) << k;
    EXPECT_FALSE(run.at("kernels").empty());
    const auto& s = run.at("summary");
    for (const char* m : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "queue_ms", "prefill_ms"})
      for (const char* st : {"mean", "std", "min", "p50", "p90", "p95", "p99", "max"})
        EXPECT_TRUE(s.at(m).contains(st)) << m << "." << st;
    for (const char* k : {"output_tok_s", "total_tok_s", "req_s"}) EXPECT_GT(s.at("throughput").at(k).get<double>(), 0) << k;
    for (const char* k : {"goodput_req_s", "requests", "mbu", "mfu", "kv"}) EXPECT_TRUE(s.contains(k)) << k;
    EXPECT_EQ(s.at("requests").at("failed"), 0);
    EXPECT_GT(s.at("requests").at("completed").get<int>(), 0);
    EXPECT_TRUE(run.contains("roofline"));
    EXPECT_EQ(run.at("requests").size(), s.at("requests").at("completed").get<size_t>());
    EXPECT_FALSE(run.at("steps").empty());
  }
}

TEST(CliE2e, MisspeltKeyExitsTwoNamingTheKey) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "bad.json", R"({
    "schema": "rooflm.scenario/1", "name": "bad",
    "model": {"preset": "tiny"},
    "engine": {"kv_cahce": {"layout": "contiguous"}}
  })");
  const CliResult r = rooflm_cli("run " + (dir.path() / "bad.json").string() + " --out " + (dir.path() / "o").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("kv_cahce"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("kv_cache"), std::string::npos) << "suggests the valid key: " << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "o" / "results.json"));
  EXPECT_EQ(rooflm_cli("validate " + (dir.path() / "bad.json").string()).code, 2);
}

TEST(CliE2e, TruncatedSafetensorsExitsTwoNamingTheFile) {
  test::TempDir dir;
  const fs::path model = dir.path() / "model";
  test::write_text_file(model / "config.json", R"({"hidden_size": 256, "num_hidden_layers": 4,
    "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 768, "vocab_size": 2048,
    "max_position_embeddings": 2048, "rms_norm_eps": 1e-5})");
  SafetensorsWriteTensor t{"model.norm.weight", SafetensorsDtype::F32, {256}, std::vector<std::byte>(1024)};
  write_safetensors(model / "model.safetensors", {t});
  fs::resize_file(model / "model.safetensors", fs::file_size(model / "model.safetensors") - 100);
  test::write_text_file(dir.path() / "s.json", R"({"schema": "rooflm.scenario/1", "name": "trunc",
    "model": {"config": "model", "weights": "model"}, "engine": {"backend": "cpu"},
    "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})");
  const CliResult r = rooflm_cli("run " + (dir.path() / "s.json").string() + " --out " + (dir.path() / "o").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("model.safetensors"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "o" / "results.json"));
}

TEST(CliE2e, UnknownPresetExitsTwo) {
  const CliResult r = rooflm_cli("validate scenarios/quickstart.json --set model.preset=llama9-1b");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("llama9-1b"), std::string::npos) << r.err;
}

TEST(CliE2e, ValidateListAndHelpSucceed) {
  EXPECT_EQ(rooflm_cli("validate scenarios/quickstart.json").code, 0);
  const CliResult models = rooflm_cli("list models");
  EXPECT_EQ(models.code, 0);
  EXPECT_NE(models.out.find("llama2-7b"), std::string::npos);
  EXPECT_EQ(rooflm_cli("list scenarios").code, 0);
  for (const char* cmd : {"--help", "run --help", "validate --help", "list --help"})
    EXPECT_EQ(rooflm_cli(cmd).code, 0) << cmd;
  EXPECT_EQ(rooflm_cli("run").code, 2) << "missing scenario is a usage error";
  EXPECT_EQ(rooflm_cli("frobnicate").code, 2);
}

TEST(CliE2e, SeedExampleOnTheSimBackendIsDeterministicWithMbuAndMfu) {
  test::TempDir a, b;
  const CliResult ra = rooflm_cli("run scenarios/seed_a10.json --backend sim --out " + a.path().string());
  ASSERT_EQ(ra.code, 0) << ra.err;
  ASSERT_EQ(rooflm_cli("run scenarios/seed_a10.json --backend sim --out " + b.path().string()).code, 0);
  const auto da = nlohmann::json::parse(slurp(a.path() / "results.json"));
  const auto db = nlohmann::json::parse(slurp(b.path() / "results.json"));
  EXPECT_EQ(da.at("runs"), db.at("runs")) << "same scenario, same results (timestamps aside)";
  for (const auto& run : da.at("runs")) {
    for (const char* phase : {"prefill", "decode"}) {
      EXPECT_TRUE(run.at("summary").at("mbu").at(phase).at("datasheet").is_number()) << phase;
      EXPECT_TRUE(run.at("summary").at("mfu").at(phase).at("datasheet").is_number()) << phase;
      const auto& p = run.at("roofline").at("phases").at(phase);
      EXPECT_GT(p.at("predicted_s").get<double>(), 0) << phase;
      EXPECT_GT(p.at("measured_s").get<double>(), 0) << phase;
    }
    EXPECT_TRUE(run.at("valid").get<bool>());
  }
}

TEST(CliE2e, BatchingPoissonOnTheSimBackendContinuousBeatsStaticAtTheHighestRate) {
  test::TempDir a, b;
  const std::string run = "run scenarios/batching_poisson.json --backend sim --gpu h100-sxm --out ";
  const CliResult ra = rooflm_cli(run + a.path().string());
  ASSERT_EQ(ra.code, 0) << ra.err;
  ASSERT_EQ(rooflm_cli(run + b.path().string()).code, 0);
  const auto da = nlohmann::json::parse(slurp(a.path() / "results.json"));
  const auto db = nlohmann::json::parse(slurp(b.path() / "results.json"));
  EXPECT_EQ(da.at("runs"), db.at("runs")) << "the sim backend is deterministic";
  const nlohmann::json* static_run = nullptr;
  const nlohmann::json* continuous_run = nullptr;
  for (const auto& run_json : da.at("runs")) {
    if (run_json.at("variant").at("sweep").at("workload.arrival.rate") != 16) continue;
    (run_json.at("variant").at("batching") == "static" ? static_run : continuous_run) = &run_json;
  }
  ASSERT_TRUE(static_run && continuous_run);
  const auto& s = static_run->at("summary");
  const auto& c = continuous_run->at("summary");
  EXPECT_GT(c.at("throughput").at("output_tok_s").get<double>(), s.at("throughput").at("output_tok_s").get<double>());
  EXPECT_LT(c.at("ttft_ms").at("p50").get<double>(), s.at("ttft_ms").at("p50").get<double>());
  EXPECT_GT(c.at("goodput_req_s").get<double>(), s.at("goodput_req_s").get<double>());
  for (const auto* run_json : {static_run, continuous_run}) {
    EXPECT_EQ(run_json->at("summary").at("requests").at("completed"), 64);
    EXPECT_TRUE(run_json->at("summary").at("preemptions").is_number());
    EXPECT_GE(run_json->at("summary").at("peak_concurrent_seqs").get<int64_t>(), 2);
    EXPECT_FALSE(run_json->at("summary").at("kv").at("over_time").at("used_bytes").empty());
  }
}

TEST(CliE2e, RooflineCalculatorReproducesTheSeedExample) {
  const CliResult r = rooflm_cli("roofline --model llama2-7b --gpu a10 --prompt 350 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j.at("prefill").at("seconds").get<double>() * 1e3, 39.0, 39.0 * 0.05);
  EXPECT_NEAR(j.at("decode").at("seconds").get<double>() * 1e3, 23.0, 23.0 * 0.05);
  EXPECT_EQ(rooflm_cli("roofline --model llama2-7b --gpu a11").code, 2);
  EXPECT_EQ(rooflm_cli("roofline --model nope --gpu a10").code, 2);
}

}  // namespace
}  // namespace rooflm
