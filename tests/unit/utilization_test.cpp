// MBU/MFU accounting: per-step counts equal the cost model's, phase aggregates, and a physically
// impossible step time (faster than the roofline) marks the run invalid.
#include <gtest/gtest.h>

#include "tests/unit/test_program.h"

#include "engine/metrics/utilization.h"

namespace rooflm {
namespace {

struct Fixture {
  StepProgram program;
  UtilizationInputs in;
  std::vector<BatchPlan> plans;
  std::vector<StepRecord> steps;
  // fp16 on an A10 by default; another precision runs on an H100 (FP8 needs its tensor peak).
  explicit Fixture(Precision precision = Precision::fp16)
      : program(test::program_for(model_preset("llama2-7b"), KernelSet::fused, precision)) {
    in.program = &program;
    in.gpu = gpu_spec(precision == Precision::fp16 ? "a10" : "h100-sxm");
    BatchPlan prefill, decode;
    SeqChunk p;
    p.seq = 0;
    p.tokens.assign(350, 1);
    p.sample = p.is_prefill = true;
    prefill.chunks = {p};
    SeqChunk d;
    d.seq = 0;
    d.start_pos = 350;
    d.tokens = {1};
    d.sample = true;
    decode.chunks = {d};
    plans = {prefill, decode};
    StepRecord s0, s1;
    s0.n_prefill_tokens = 350;
    s1.n_decode_tokens = 1;
    steps = {s0, s1};
  }
  // Step times as `factor` x the roofline prediction.
  void time_steps(double prefill_factor, double decode_factor) {
    const double tp = step_cost(plans[0], program, in.gpu).seconds;
    const double td = step_cost(plans[1], program, in.gpu).seconds;
    steps[0].start = 0;
    steps[0].end = tp * prefill_factor;
    steps[1].start = steps[0].end;
    steps[1].end = steps[1].start + td * decode_factor;
  }
};

TEST(Utilization, PhasesCarryTheCostModelCountsAndEfficiency) {
  Fixture f;
  f.time_steps(2.0, 1.25);
  nlohmann::json steps = {nlohmann::json::object(), nlohmann::json::object()};
  const Utilization u = account_utilization(f.in, f.plans, f.steps, steps);
  EXPECT_TRUE(u.valid);
  const StepCost decode = step_cost(f.plans[1], f.program, f.in.gpu);
  EXPECT_DOUBLE_EQ(steps[1]["bytes"].get<double>(), decode.bytes);
  EXPECT_DOUBLE_EQ(steps[1]["flops"].get<double>(), decode.flops);
  EXPECT_NEAR(u.roofline["phases"]["prefill"]["efficiency"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(u.roofline["phases"]["decode"]["efficiency"].get<double>(), 0.8, 1e-12);
  EXPECT_EQ(u.roofline["phases"]["decode"]["bound"], "memory");
  EXPECT_EQ(u.roofline["phases"]["prefill"]["bound"], "compute");
  // Decode of a 7B model is weight streaming: MBU = bytes / (1.25 x bytes/bw) / bw ~ 0.8.
  EXPECT_NEAR(u.mbu["decode"]["datasheet"].get<double>(), 0.8, 0.01);
  EXPECT_TRUE(u.mbu["decode"]["calibrated"].is_null());
}

TEST(Utilization, FasterThanTheRooflineIsInvalid) {
  Fixture f;
  f.time_steps(1.0, 0.5);  // decode twice as fast as the bandwidth allows: impossible
  nlohmann::json steps;
  const Utilization u = account_utilization(f.in, f.plans, f.steps, steps);
  EXPECT_FALSE(u.valid);
  EXPECT_FALSE(u.roofline["valid"].get<bool>());
  ASSERT_EQ(u.roofline["invalid_reasons"].size(), 1u);
  EXPECT_NE(u.roofline["invalid_reasons"][0].get<std::string>().find("MBU of the decode phase"), std::string::npos);
}

TEST(Utilization, CalibratedCeilingGivesSecondRatio) {
  Fixture f;
  f.time_steps(1.0, 1.0);
  Calibration cal;
  cal.read_bandwidth_bytes_per_s = 0.5 * f.in.gpu.memory_bandwidth_bytes_per_s;
  cal.fp16_gemm_flops_per_s = 0.8 * f.in.gpu.fp16_tensor_flops_per_s;
  cal.copy_bandwidth_bytes_per_s = cal.int8_gemm_ops_per_s = 1;
  f.in.calibration = cal;
  nlohmann::json steps;
  const Utilization u = account_utilization(f.in, f.plans, f.steps, steps);
  EXPECT_NEAR(u.mbu["decode"]["calibrated"].get<double>(), 2.0 * u.mbu["decode"]["datasheet"].get<double>(), 1e-9);
  EXPECT_NEAR(u.mfu["prefill"]["calibrated"].get<double>(), 1.25 * u.mfu["prefill"]["datasheet"].get<double>(), 1e-9);
}

// FP8 math: the calibrated MFU uses the file's fp8 GEMM ceiling when it has one, else none.
TEST(Utilization, Fp8MfuUsesTheCalibratedFp8CeilingWhenMeasured) {
  Fixture f(Precision::fp8);
  f.time_steps(1.0, 1.0);
  Calibration cal;
  cal.read_bandwidth_bytes_per_s = cal.copy_bandwidth_bytes_per_s = cal.fp16_gemm_flops_per_s = 1;
  cal.int8_gemm_ops_per_s = 1;
  f.in.calibration = cal;
  nlohmann::json steps;
  Utilization u = account_utilization(f.in, f.plans, f.steps, steps);
  EXPECT_TRUE(u.mfu["prefill"]["calibrated"].is_null());
  cal.fp8_gemm_flops_per_s = 0.5 * *f.in.gpu.fp8_tensor_flops_per_s;
  f.in.calibration = cal;
  u = account_utilization(f.in, f.plans, f.steps, steps);
  EXPECT_NEAR(u.mfu["prefill"]["calibrated"].get<double>(), 2.0 * u.mfu["prefill"]["datasheet"].get<double>(), 1e-9);
}

}  // namespace
}  // namespace rooflm
