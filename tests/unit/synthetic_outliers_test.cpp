// Planted outlier channels in synthetic weights (model.synthetic_outliers, engine/model/weights.h):
// off changes nothing, the channels are seeded, distinct and only the layer norms change, and the
// planted channels' activations at the inputs of qkv_proj and gate_up_proj are >= scale / 2 x the
// median of the other channels on the tiny model. Run: --gtest_filter='SyntheticOutliers*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/half.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/runtime/quant_calibration.h"
#include "engine/runtime/token_streams.h"
#include "tests/unit/input_error_message.h"

namespace rooflm {
namespace {

const SyntheticOutliers kOutliers{4, 50};

TEST(SyntheticOutliers, OffIsTheUnplantedWeights) {
  const ModelConfig config = model_preset("tiny");
  const ModelWeights plain = synthetic_weights(config, 3), off = synthetic_weights(config, 3, SyntheticOutliers{});
  for (size_t l = 0; l < plain.layers.size(); ++l) {
    EXPECT_EQ(plain.layers[l].attn_norm.data, off.layers[l].attn_norm.data);
    EXPECT_EQ(plain.layers[l].mlp_norm.data, off.layers[l].mlp_norm.data);
  }
  EXPECT_TRUE(synthetic_outlier_channels(config, 3, SyntheticOutliers{}).empty());
}

TEST(SyntheticOutliers, ChannelsAreSeededDistinctAndSorted) {
  const ModelConfig config = model_preset("tiny");
  const auto a = synthetic_outlier_channels(config, 3, kOutliers);
  EXPECT_EQ(a, synthetic_outlier_channels(config, 3, kOutliers));
  ASSERT_EQ(a.size(), 4u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 4u);
  for (const int64_t c : a) EXPECT_TRUE(c >= 0 && c < config.hidden);
  EXPECT_NE(a, synthetic_outlier_channels(config, 4, kOutliers));
  // at most half the hidden channels; all of them is refused with the field and the limit
  EXPECT_EQ(synthetic_outlier_channels(config, 3, {128, 20}).size(), 128u);
  EXPECT_EQ(
      test::input_error_message([&] {
        synthetic_outlier_channels(config, 3, {129, 20});
      }),
      "model.synthetic_outliers.channels = 129 is more than half of model 'tiny''s hidden size 256 (at most 128)");
}

// Only attn_norm and mlp_norm change, and only in the planted channels, by the scale (then fp16
// rounding: relative 2^-11).
TEST(SyntheticOutliers, OnlyThePlantedNormChannelsChange) {
  const ModelConfig config = model_preset("tiny-qwen2");
  const ModelWeights plain = synthetic_weights(config, 5), planted = synthetic_weights(config, 5, kOutliers);
  const auto channels = synthetic_outlier_channels(config, 5, kOutliers);
  EXPECT_EQ(plain.embed.data, planted.embed.data);
  EXPECT_EQ(plain.final_norm.data, planted.final_norm.data);
  for (size_t l = 0; l < plain.layers.size(); ++l) {
    const LayerWeights &p = plain.layers[l], &q = planted.layers[l];
    EXPECT_EQ(p.wqkv.data, q.wqkv.data);
    EXPECT_EQ(p.bqkv.data, q.bqkv.data);
    EXPECT_EQ(p.wo.data, q.wo.data);
    EXPECT_EQ(p.w_gate_up.data, q.w_gate_up.data);
    EXPECT_EQ(p.w_down.data, q.w_down.data);
    for (HostTensor LayerWeights::*norms : {&LayerWeights::attn_norm, &LayerWeights::mlp_norm})
      for (int64_t c = 0; c < config.hidden; ++c) {
        const float a = (p.*norms).data[size_t(c)], b = (q.*norms).data[size_t(c)];
        if (std::find(channels.begin(), channels.end(), c) == channels.end()) {
          EXPECT_EQ(a, b) << "layer " << l << " channel " << c;
        } else {
          EXPECT_NEAR(b, a * 50, 50 * std::fabs(a) * (1.0 / 1024)) << "layer " << l << " channel " << c;
          EXPECT_EQ(b, round_to_fp16(b));
        }
      }
  }
}

double median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (double(v[v.size() / 2 - 1]) + double(v[v.size() / 2]));
}

// The activations the outliers are for: at qkv_proj's and gate_up_proj's inputs, in every layer.
TEST(SyntheticOutliers, PlantedChannelsDominateTheNormedActivations) {
  const ModelConfig config = model_preset("tiny");
  CpuBackend cpu(config, synthetic_weights(config, 0, kOutliers), Variant{}, 2);
  LinearInputAbsmax observer(cpu);
  cpu.set_op_observer(&observer);
  ContiguousKvCache kv({config.n_layers, config.n_kv_heads, config.head_dim, 64, 1, DType::f32});
  kv.bind(cpu.allocate_kv(kv.geometry()));
  BatchPlan plan;
  SeqChunk& ch = plan.chunks.emplace_back();
  ch.seq = 0;
  ch.tokens = seeded_token_streams(1, 1, 64, config.vocab)[0];
  ch.sample = ch.is_prefill = true;
  ASSERT_TRUE(kv.reserve(0, 64));
  cpu.forward(plan, kv.view(plan.seqs()), false);
  const auto channels = synthetic_outlier_channels(config, 0, kOutliers);
  for (int32_t l = 0; l < config.n_layers; ++l)
    for (const char* op : {"qkv_proj", "gate_up_proj"}) {
      const std::vector<float>& absmax = observer.absmax().at({l, op});
      std::vector<float> others;
      for (int64_t c = 0; c < config.hidden; ++c)
        if (std::find(channels.begin(), channels.end(), c) == channels.end()) others.push_back(absmax[size_t(c)]);
      const double others_median = median(others);
      for (const int64_t c : channels)
        EXPECT_GE(absmax[size_t(c)], 25 * others_median) << "layer " << l << " " << op << " channel " << c;
    }
}

}  // namespace
}  // namespace rooflm
