// `rooflm profile` end to end without a GPU: --dry-run prints the ncu / nsys command and runs
// nothing; a missing ncu is exit 2 saying how to install it; bad --steps / --variant are exit 2;
// with a stand-in ncu (a script that runs the measured command and answers --import with the
// committed CSV fixtures, tests/fixtures/ncu/) results.json gains run.profile: per op, ncu's DRAM
// bytes beside the cost model's.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/e2e/cli_run.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

const std::string kQuick = "profile scenarios/quickstart.json --set workload.requests=2 --set engine.batching.max_batch=1";

TEST(ProfileE2e, DryRunPrintsTheNcuCommandWithTheWindow) {
  const test::CliResult r = run_cli(kQuick + " --tool ncu --steps decode:1-2 --kernels 5 --set full --dry-run --out /tmp/unused");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* want : {"ncu --profile-from-start off --nvtx --metrics gpu__time_duration.sum,dram__bytes_read.sum",
                           "--set full --launch-count 5 --filter-mode per-launch-config",
                           "--export /tmp/unused/profile", " run scenarios/quickstart.json --out /tmp/unused",
                           "--set measure.profile_steps=decode:1-2", "--set measure.repetitions=1"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  EXPECT_FALSE(fs::exists("/tmp/unused"));
  const test::CliResult nsys = run_cli(kQuick + " --tool nsys --dry-run --out /tmp/unused");
  ASSERT_EQ(nsys.code, 0) << nsys.err;
  EXPECT_NE(nsys.out.find("nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop --trace=cuda,nvtx "
                          "--nvtx-domain-include=rooflm"),
            std::string::npos)
      << nsys.out;
}

TEST(ProfileE2e, MissingToolAndBadOptionsExitTwo) {
  test::TempDir dir;
  const test::CliResult missing = run_cli(kQuick + " --tool ncu --ncu no-such-ncu-here --out " + (dir.path() / "o").string());
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("no-such-ncu-here not found on PATH: install Nsight Compute"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(dir.path() / "o" / "results.json"));
  const test::CliResult steps = run_cli(kQuick + " --tool ncu --steps decode:5-1 --dry-run");
  EXPECT_EQ(steps.code, 2);
  EXPECT_NE(steps.err.find("--steps"), std::string::npos) << steps.err;
  const test::CliResult variant = run_cli(kQuick + " --tool ncu --variant nope --dry-run");
  EXPECT_EQ(variant.code, 2);
  EXPECT_NE(variant.err.find("--variant \"nope\": the scenario has no such variant (have: \"default\")"),
            std::string::npos)
      << variant.err;
  EXPECT_EQ(run_cli(kQuick + " --tool perf --dry-run").code, 2);
}

TEST(ProfileE2e, StandInNcuFoldsTheProfileIntoTheResults) {
  test::TempDir dir;
  const fs::path fake = dir.path() / "ncu";
  {
    std::ofstream s(fake);
    s << "#!/bin/bash\n"
         "# stand-in ncu: --import answers with the fixtures; a profile run runs the command after the options\n"
         "fixtures=\"" << fs::absolute("tests/fixtures/ncu").string() << "\"\n"
         "if [ \"$1\" = --import ]; then\n"
         "  for a in \"$@\"; do [ \"$a\" = --print-nvtx-rename ] && exec cat \"$fixtures/decode_raw_ops.csv\"; done\n"
         "  exec cat \"$fixtures/decode_raw.csv\"\n"
         "fi\n"
         "while [ $# -gt 0 ]; do\n"
         "  case \"$1\" in --export) touch \"$2.ncu-rep\"; shift 2 ;; */rooflm) break ;; *) shift ;; esac\n"
         "done\n"
         "exec \"$@\"\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  const fs::path out = dir.path() / "p";
  const test::CliResult r = run_cli(kQuick + " --set engine.backend=cpu --tool ncu --ncu " + fake.string() + " --steps decode:1-2 --out " +
                                    out.string());
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("5 launches profiled"), std::string::npos) << r.out;
  std::ifstream in(out / "results.json");
  const nlohmann::json doc = nlohmann::json::parse(in);
  ASSERT_EQ(doc["runs"].size(), 1u);
  const nlohmann::json& run = doc["runs"][0];
  EXPECT_EQ(run["capture_window"]["steps"], nlohmann::json::array({2, 3}));
  const nlohmann::json& p = run["profile"];
  EXPECT_EQ(p["tool"], "ncu");
  EXPECT_EQ(p["steps"], "decode:1-2");
  EXPECT_EQ(p["report"], "profile.ncu-rep");
  ASSERT_EQ(p["ops"].size(), 4u);
  EXPECT_EQ(p["ops"][0]["op"], "qkv_proj");
  // the tiny model's qkv_proj as the cost model counts it on this (cpu) run, beside the fixture's bytes
  EXPECT_TRUE(p["ops"][0]["model_bytes_per_call"].is_number());
  EXPECT_TRUE(p["ops"][0]["measured_over_model"].is_number());
  EXPECT_EQ(p["ops"][0]["model_off"], true);  // 25 MB measured for a 0.26 MB weight: flagged
}

}  // namespace
}  // namespace rooflm
