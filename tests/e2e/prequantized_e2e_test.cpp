// End-to-end: a pre-quantised checkpoint (int8 codes + weight_scale, engine/model/prequantized_weights.h)
// through the real CLI: `rooflm run` at engine.precision int8 exits 0 and results.json records
// the variant and its accuracy against the checkpoint's own dequantised weights (the fp32
// reference). Its bad-input twin (a broken scale tensor: exit 2, file and tensor named, no results
// file) is in bad_input_test.cpp.
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='PrequantizedE2e*'
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/model/weights.h"
#include "tests/e2e/cli_run.h"
#include "tests/unit/prequantized_checkpoint.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

TEST(PrequantizedE2e, Int8CheckpointRunsAndRecordsItsVariant) {
  test::TempDir dir;
  const ModelConfig config = model_preset("tiny");
  fs::create_directories(dir.path() / "ckpt");
  write_safetensors(dir.path() / "ckpt" / "model.safetensors",
                    test::prequantized_hf_tensors(config, synthetic_weights(config, 3),
                                                  {DType::i8, ref::WeightScaleGrain::group, 64}));
  const fs::path scenario = dir.path() / "p.json";
  test::write_text_file(scenario, R"({"schema": "rooflm.scenario/1", "name": "p",
    "model": {"preset": "tiny", "weights": "ckpt"},
    "engine": {"backend": "cpu", "threads": 2, "precision": "int8", "weight_scales": "group", "weight_group_size": 64},
    "workload": {"requests": 1, "prompt_len": 4, "output_len": 2},
    "measure": {"accuracy": {"tokens": 8}}})");
  const test::CliResult r = test::run_cli("run " + scenario.string() + " --out " + (dir.path() / "out").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json results = nlohmann::json::parse(test::slurp(dir.path() / "out" / "results.json"));
  const nlohmann::json& run = results.at("runs").at(0);
  EXPECT_EQ(run.at("variant").at("precision"), "int8");
  EXPECT_EQ(run.at("variant").at("weight_scales"), "group");
  EXPECT_EQ(run.at("kernels"), nlohmann::json::array({"cpu_reference_int8"}));
  EXPECT_EQ(run.at("accuracy").at("reference"), "cpu fp32") << "the checkpoint dequantised";
  EXPECT_GT(run.at("accuracy").at("top1_agreement").get<double>(), 0.9);
}

}  // namespace
}  // namespace rooflm
