// Sim backend: steps cost the roofline time (scaled by efficiency) on a virtual clock; the same
// scenario gives identical results; the seed example's TTFT and TPOT come out of a full run.
#include <gtest/gtest.h>

#include "engine/backend/sim/sim_backend.h"
#include "common/error.h"
#include "engine/results/results.h"
#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"
#include "tests/unit/conforming_results.h"

namespace rooflm {
namespace {

const char* kSeedScenario = R"({
  "schema": "rooflm.scenario/1", "name": "seed",
  "model": {"preset": "llama2-7b"},
  "engine": {"backend": "sim", "gpu": "a10", "batching": {"max_batch": 1}},
  "workload": {"requests": 3, "prompt_len": 350, "output_len": 16, "arrival": {"process": "burst"}},
  "measure": {"warmup_requests": 1}
})";

TEST(SimBackend, StepTakesTheRooflineTimeOverEfficiency) {
  const ModelConfig m = model_preset("llama2-7b");
  BatchPlan plan;
  SeqChunk d;
  d.seq = 0;
  d.start_pos = 100;
  d.tokens = {5};
  d.sample = true;
  plan.chunks = {d};
  SimEfficiency eff;
  eff.decode = 0.5;
  Variant v;
  v.backend = BackendKind::sim;
  SimBackend sim(m, gpu_spec("a10"), v, eff);
  const StepOutput out = sim.forward(plan, {}, false);
  const double roof = step_cost(plan, sim.program(), gpu_spec("a10")).seconds;
  EXPECT_DOUBLE_EQ(out.modelled_seconds, roof / 0.5);
  ASSERT_EQ(out.next_tokens.size(), 1u);
  EXPECT_GE(out.next_tokens[0], 0);
  EXPECT_LT(out.next_tokens[0], m.vocab);
}

TEST(SimBackend, SeedExampleRunIsDeterministicAndOnTheRoofline) {
  const Scenario s = parse_scenario(kSeedScenario, "seed.json").front();
  const VariantResult a = run_variant(s), b = run_variant(s);
  EXPECT_EQ(a.run.dump(), b.run.dump()) << "the sim backend must be deterministic";
  // Batch 1, burst: request 0's TTFT is one prefill step (~39-40 ms on an A10), TPOT one decode step.
  const auto& r0 = a.run["requests"][0];
  const double ttft_ms = 1e3 * (r0["first_token"].get<double>() - r0["arrival"].get<double>());
  EXPECT_NEAR(ttft_ms, 39.0, 39.0 * 0.05);
  EXPECT_NEAR(a.run["summary"]["tpot_ms"]["p50"].get<double>(), 23.0, 23.0 * 0.05);
  EXPECT_TRUE(a.valid);
  EXPECT_NEAR(a.run["summary"]["mbu"]["decode"]["datasheet"].get<double>(), 1.0, 0.05);
  EXPECT_NEAR(a.run["roofline"]["phases"]["prefill"]["efficiency"].get<double>(), 1.0, 1e-9);
}

TEST(SimBackend, QuantisedPrecisionsRunOnTheirPeaksAndFp8NeedsAGpuWithFp8) {
  std::string text = kSeedScenario;
  text.replace(text.find("\"a10\""), 5, "\"h200\"");
  text.replace(text.find("\"batching\""), 0, "\"precision\": \"fp8\", ");
  const Scenario s = parse_scenario(text, "fp8.json").front();
  const VariantResult r = run_variant(s);
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.run["variant"]["precision"], "fp8");
  EXPECT_EQ(r.run["variant"]["activation_scales"], "dynamic");
  EXPECT_EQ(r.run["roofline"]["precision"]["linear_math"], "fp8");
  EXPECT_DOUBLE_EQ(r.run["roofline"]["ceilings"]["datasheet"]["flops_per_s"].get<double>(), 1979e12);
  text.replace(text.find("\"h200\""), 6, "\"a10\"");
  try {
    run_variant(parse_scenario(text, "fp8.json").front());
    FAIL() << "an A10 has no fp8 tensor cores";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("GPU a10 (NVIDIA A10) has no fp8 tensor peak"), std::string::npos) << e.what();
  }
}

TEST(SimBackend, ModelThatDoesNotFitIsBadInput) {
  const std::string text = std::string(kSeedScenario).replace(std::string(kSeedScenario).find("llama2-7b"), 9, "llama2-70b");
  const Scenario s = parse_scenario(text, "big.json").front();
  try {
    run_variant(s);
    FAIL() << "a 70B fp16 model cannot fit a 24 GB A10";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a10 has"), std::string::npos) << e.what();
  }
}

TEST(SimBackend, CalibrationPicksTheRunWithTheSameVariantLabel) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "rooflm-sim-calibration-test.json";
  auto run = [](const char* label, double prefill, double decode) {
    return nlohmann::json{{"variant", {{"label", label}}},
                          {"roofline", {{"phases", {{"prefill", {{"efficiency", prefill}}}, {"decode", {{"efficiency", decode}}}}}}}};
  };
  write_json_atomic(file, test::make_conforming({{"runs", {run("kernels=naive", 0.5, 0.6), run("kernels=fused", 0.7, 0.8)}}}));
  const SimEfficiency fused = sim_efficiency_from_results(file.string(), "kernels=fused");
  EXPECT_DOUBLE_EQ(fused.prefill, 0.7);
  EXPECT_DOUBLE_EQ(fused.decode, 0.8);
  EXPECT_NE(fused.source.find("kernels=fused"), std::string::npos);
  const SimEfficiency other = sim_efficiency_from_results(file.string(), "kernels=other");  // first run
  EXPECT_DOUBLE_EQ(other.decode, 0.6);
  std::filesystem::remove(file);
}

TEST(SimBackend, CalibrationFileIsValidatedAndAZeroEfficiencyRefusedWithItsPath) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "rooflm-sim-calibration-bad.json";
  auto message_for = [&](const nlohmann::json& phases) {
    write_json_atomic(file, test::make_conforming({{"runs", {{{"roofline", {{"phases", phases}}}}}}}));
    try {
      sim_efficiency_from_results(file.string(), "default");
      return std::string();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  const std::string where = "results file '" + file.string() + "': runs[0].roofline.phases.decode";
  EXPECT_EQ(message_for({{"decode", {{"efficiency", 0}}}}), where + ".efficiency is 0, must be > 0");
  EXPECT_EQ(message_for({{"decode", {{"efficiency", "fast"}}}}),
            where + ".efficiency: expected number, is \"fast\" (does not conform to results/schema/result.schema.json)");
  EXPECT_EQ(message_for({{"decode", 1.0}}),
            where + ": expected object, is 1.0 (does not conform to results/schema/result.schema.json)");
  EXPECT_EQ(message_for({{"decode", {{"steps", 3}}}}), "");  // no efficiency: the roofline's (1.0)
  std::filesystem::remove(file);
}

TEST(SimBackend, RequiresAGpu) {
  std::string text = kSeedScenario;
  text.replace(text.find(", \"gpu\": \"a10\""), 14, "");
  EXPECT_THROW(run_variant(parse_scenario(text, "nogpu.json").front()), InputError);
}

}  // namespace
}  // namespace rooflm
