// SmoothQuant calibration on the cpu reference (engine/runtime/quant_calibration.h): one entry per
// linear op with factors following the formula from the recorded maxima, the same factors for both
// kernel sets, smoothing flattening planted outliers, and the smoothed model computing the same
// function. Run: build/tests/rooflm_unit_tests --gtest_filter='QuantCalibration*'
#include "engine/runtime/quant_calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/runtime/token_streams.h"
#include "tests/unit/input_error_message.h"

namespace rooflm {
namespace {

Scenario scenario(const std::string& model_extra = "", const std::string& extra = "") {
  return parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "cal", "model": {"preset": "tiny")" + model_extra +
                            R"(}, "engine": {"threads": 2},
    "quant": {"alpha": 0.5, "calibration": {"sequences": 2, "tokens": 24, "seed": 1}})" +
                            extra + "}",
                        "cal.json")
      .at(0);
}

TEST(QuantCalibration, OneEntryPerLinearOpFollowingTheFormula) {
  const Scenario s = scenario();
  const QuantScales q = calibrate_quant(s);
  const ModelConfig c = model_preset("tiny");
  ASSERT_EQ(q.ops.size(), size_t(4 * c.n_layers));  // qkv_proj, o_proj, gate_up_proj, down_proj
  EXPECT_EQ(q.ops[0].op, "qkv_proj");
  EXPECT_EQ(q.ops[1].op, "o_proj");
  EXPECT_EQ(q.ops[3].op, "down_proj");
  EXPECT_EQ(q.ops[3].input, LinearInput::mlp_act);
  EXPECT_EQ(q.model, quant_model_fingerprint(c));
  EXPECT_EQ(q.weights, "synthetic seed 0");
  EXPECT_EQ(q.sequences, 2);
  EXPECT_EQ(q.tokens, 24);
  const ModelWeights w = synthetic_weights(c, 0);
  for (const OpQuantScales& op : q.ops) {
    ASSERT_EQ(op.smoothing.size(), op.input_absmax.size());
    double smoothed = 0;
    for (size_t j = 0; j < op.smoothing.size(); ++j) {
      EXPECT_GT(op.input_absmax[j], 0) << op.op;
      smoothed = std::max(smoothed, double(op.input_absmax[j]) / op.smoothing[j]);
    }
    EXPECT_EQ(op.smoothed_absmax, smoothed);
    EXPECT_EQ(op.int8_scale(), smoothed / 127);
    EXPECT_EQ(op.fp8_scale(), smoothed / 448);
  }
  // down_proj of layer 2 by hand: s_j = sqrt(max|X_j|) / sqrt(max|W_down[:, j]|)
  const OpQuantScales& down = *q.find(2, "down_proj");
  const auto w_max = weight_column_absmax(w.layers[2].w_down, 0, c.hidden);
  for (size_t j = 0; j < down.smoothing.size(); j += 97)
    EXPECT_FLOAT_EQ(down.smoothing[j], float(std::sqrt(double(down.input_absmax[j])) / std::sqrt(double(w_max[j]))));
  // o_proj's factors are one per KV-head channel
  std::vector<float> shared = q.find(0, "o_proj")->smoothing;
  share_across_kv_groups(shared, c);
  EXPECT_EQ(shared, q.find(0, "o_proj")->smoothing);
}

// The cpu reference computes the same activations for both recipes: the same factors per input.
TEST(QuantCalibration, NaiveAndFusedAgreePerInput) {
  const QuantScales fused = calibrate_quant(scenario());
  const QuantScales naive = calibrate_quant(scenario("", R"(, "sweep": {"engine.kernels": ["naive"]})"));
  ASSERT_EQ(naive.ops.size(), size_t(7 * 4));  // q, k, v, o, gate, up, down per layer
  EXPECT_EQ(naive.kernels, KernelSet::naive);
  for (int32_t l = 0; l < 4; ++l) {
    EXPECT_EQ(naive.find(l, "q_proj")->smoothing, fused.find(l, "qkv_proj")->smoothing);
    EXPECT_EQ(naive.find(l, "v_proj")->smoothing, fused.find(l, "qkv_proj")->smoothing);
    EXPECT_EQ(naive.find(l, "up_proj")->smoothing, fused.find(l, "gate_up_proj")->smoothing);
    EXPECT_EQ(naive.find(l, "o_proj")->smoothing, fused.find(l, "o_proj")->smoothing);
    EXPECT_EQ(naive.find(l, "down_proj")->input_absmax, fused.find(l, "down_proj")->input_absmax);
  }
}

double max_over_median(std::vector<float> v) {
  const float max = *std::max_element(v.begin(), v.end());
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return max / v[v.size() / 2];
}

// With 4 channels planted at 50x, qkv_proj's input spans ~50x its median; smoothed (alpha 0.5) the
// spread is about its square root, so a per-tensor int8 scale wastes far less range on the outliers.
TEST(QuantCalibration, SmoothingFlattensPlantedOutliers) {
  const QuantScales q = calibrate_quant(scenario(R"(, "synthetic_outliers": {"channels": 4, "scale": 50})"));
  EXPECT_NE(q.weights.find("synthetic_outliers 4 x 50"), std::string::npos) << q.weights;
  for (int32_t l = 0; l < 4; ++l) {
    const OpQuantScales& op = *q.find(l, "qkv_proj");
    std::vector<float> smoothed(op.smoothing.size());
    for (size_t j = 0; j < smoothed.size(); ++j) smoothed[j] = op.input_absmax[j] / op.smoothing[j];
    const double before = max_over_median(op.input_absmax), after = max_over_median(smoothed);
    EXPECT_GT(before, 25) << "layer " << l;
    EXPECT_LT(after, before / 3) << "layer " << l;
  }
}

TEST(QuantCalibration, TooLongSequencesAreRefused) {
  const Scenario s = scenario("", R"(, "sweep": {"quant.calibration.tokens": [4096]})");
  EXPECT_EQ(test::input_error_message([&] { calibrate_quant(s); }),
            "quant.calibration.tokens = 4096 exceeds the max_positions 2048 of model 'tiny'");
}

// apply_smoothing with calibrated factors: the same function to the fp16 rounding of the changed
// weights (tolerance and why: tests/unit/smoothing_test.cpp).
TEST(QuantCalibration, SmoothedModelKeepsItsLogits) {
  const Scenario s = scenario(R"(, "synthetic_outliers": {"channels": 4, "scale": 50})");
  const QuantScales q = calibrate_quant(s);
  const ModelConfig c = model_preset("tiny");
  const ModelWeights w = synthetic_weights(c, 0, s.model.outliers);
  const ModelWeights smoothed = apply_smoothing(w, c, smoothing_of(q, c));
  auto logits = [&](const ModelWeights& weights) {
    CpuBackend cpu(c, weights, Variant{}, 2);
    ContiguousKvCache kv({c.n_layers, c.n_kv_heads, c.head_dim, 32, 1, DType::f32});
    kv.bind(cpu.allocate_kv(kv.geometry()));
    BatchPlan plan;
    SeqChunk& ch = plan.chunks.emplace_back();
    ch.seq = 0;
    ch.tokens = seeded_token_streams(5, 1, 32, c.vocab)[0];
    ch.sample = ch.is_prefill = true;
    EXPECT_TRUE(kv.reserve(0, 32));
    return cpu.forward(plan, kv.view(plan.seqs()), true).logits[0];
  };
  const auto ref = logits(w), got = logits(smoothed);
  float max_ref = 0;
  for (const float v : ref) max_ref = std::max(max_ref, std::fabs(v));
  for (size_t v = 0; v < ref.size(); ++v)
    ASSERT_NEAR(got[v], ref[v], 2e-3 * max_ref + 2e-3 * std::fabs(ref[v])) << "logit " << v;
  // the norms took the outliers: the smoothed attn_norm spans far less than the planted one
  auto spread = [](const HostTensor& t) { return max_over_median(std::vector<float>(t.data.begin(), t.data.end())); };
  EXPECT_LT(spread(smoothed.layers[0].attn_norm), spread(w.layers[0].attn_norm) / 3);
}

}  // namespace
}  // namespace rooflm
