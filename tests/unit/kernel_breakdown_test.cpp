// Kernel-trace summaries: per-kernel totals and shares, and per-op roofline points whose FLOPs and
// bytes are the cost model's over exactly the steps whose kernels were all attributed to ops.
#include <gtest/gtest.h>

#include "tests/unit/test_program.h"

#include "engine/metrics/kernel_breakdown.h"

namespace rooflm {
namespace {

struct Fixture {
  StepProgram program = test::program_for(model_preset("llama2-7b"));
  UtilizationInputs in;
  std::vector<BatchPlan> plans;
  std::vector<StepRecord> steps;
  Fixture() {
    in.program = &program;
    in.gpu = gpu_spec("h100-sxm");
    for (int i = 0; i < 3; ++i) {
      SeqChunk d;
      d.seq = 0;
      d.start_pos = 350 + i;
      d.tokens = {1};
      d.sample = true;
      BatchPlan plan;
      plan.chunks = {d};
      plans.push_back(plan);
      StepRecord s;
      s.n_decode_tokens = 1;
      steps.push_back(s);
    }
    // steps 0 and 1 eager (every kernel attributed), step 2 a graph replay (no ops)
    for (int i = 0; i < 2; ++i)
      steps[size_t(i)].kernels = {{"gemv", "qkv_proj", 32, 0.001}, {"flash_decode", "attention", 32, 0.0004},
                                  {"gemv", "down_proj", 32, 0.0015}};
    steps[2].kernels = {{"gemv", "", 96, 0.0029}};
  }
};

TEST(KernelBreakdown, SumsPerOpAndKernelLargestFirst) {
  Fixture f;
  EXPECT_TRUE(has_kernel_trace(f.steps));
  const nlohmann::json rows = kernel_breakdown(f.steps);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["op"], "down_proj");
  EXPECT_NEAR(rows[0]["ms"].get<double>(), 3.0, 1e-9);
  EXPECT_EQ(rows[0]["calls"], 64);
  EXPECT_NEAR(rows[0]["mean_us"].get<double>(), 3000.0 / 64, 1e-9);
  EXPECT_EQ(rows[1]["op"], "");  // the graph replay's kernels, unattributed
  double share = 0;
  for (const auto& r : rows) share += r["share"].get<double>();
  EXPECT_NEAR(share, 1.0, 1e-12);
  EXPECT_FALSE(has_kernel_trace({StepRecord{}}));
}

TEST(KernelBreakdown, OpPointsCoverOnlyFullyAttributedSteps) {
  Fixture f;
  const nlohmann::json ops = op_roofline(f.in, f.plans, f.steps);
  const StepCost c0 = step_cost(f.plans[0], f.program, f.in.gpu);
  const StepCost c1 = step_cost(f.plans[1], f.program, f.in.gpu);
  ASSERT_EQ(ops.size(), c0.ops.size());  // every op of the cost model, in launch order
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpCost& a = c0.ops[i];
    const OpCost& b = c1.ops[i];
    EXPECT_EQ(ops[i]["name"], a.count.name);
    EXPECT_EQ(ops[i]["steps"], 2);
    EXPECT_NEAR(ops[i]["flops"].get<double>(), a.count.flops() * a.count.calls + b.count.flops() * b.count.calls,
                1e-6 * ops[i]["flops"].get<double>() + 1);
    EXPECT_NEAR(ops[i]["predicted_ms"].get<double>(), (a.total_seconds() + b.total_seconds()) * 1e3, 1e-9);
  }
  const auto qkv = std::find_if(ops.begin(), ops.end(), [](const nlohmann::json& o) { return o["name"] == "qkv_proj"; });
  ASSERT_NE(qkv, ops.end());
  EXPECT_NEAR((*qkv)["measured_ms"].get<double>(), 2.0, 1e-9);  // step 2 (graph) not counted
  EXPECT_NEAR((*qkv)["achieved_bytes_per_s"].get<double>(), (*qkv)["bytes"].get<double>() / 0.002, 1.0);
  EXPECT_NEAR((*qkv)["arithmetic_intensity"].get<double>(),
              (*qkv)["flops"].get<double>() / (*qkv)["bytes"].get<double>(), 1e-12);
  EXPECT_EQ((*qkv)["bound"], "memory");
  EXPECT_NEAR((*qkv)["roofline_fraction"].get<double>(), (*qkv)["predicted_ms"].get<double>() / 2.0, 1e-12);
  const auto gate_up = std::find_if(ops.begin(), ops.end(), [](const nlohmann::json& o) { return o["name"] == "gate_up_proj"; });
  ASSERT_NE(gate_up, ops.end());
  EXPECT_EQ((*gate_up)["measured_ms"], 0.0);  // no kernel attributed: no achieved rate
  EXPECT_EQ((*gate_up)["achieved_flops_per_s"], 0.0);
}

TEST(KernelBreakdown, NoAttributedStepNoOps) {
  Fixture f;
  f.steps[0].kernels.clear();
  f.steps[1].kernels.back().op = "";
  EXPECT_TRUE(op_roofline(f.in, f.plans, f.steps).empty());
}

}  // namespace
}  // namespace rooflm
