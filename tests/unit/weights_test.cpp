// Tests of model weights: the seeded synthetic init (determinism, fp16 rounding, ranges, the
// per-element formula of synthetic_init.h, the packed wqkv / w_gate_up holding exactly the values
// the separate tensors had, Q/K/V biases) and load_safetensors_weights on files written by the
// safetensors writer (bit-exact, packed rows, biases, sharded, tied, wrong shape / dtype, missing
// tensor). Run: build/tests/rooflm_unit_tests --gtest_filter='SyntheticWeights*:LoadSafetensors*'
#include <algorithm>
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/half.h"
#include "common/synthetic_init.h"
#include "engine/model/safetensors.h"
#include "engine/model/weights.h"
#include "tests/unit/hf_checkpoint.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using test::hf_tensors;
using test::input_error_message;
using test::TempDir;
using test::write_text_file;

// Every tensor of `weights` as rooflm stores it (packed), with a name, in a fixed order.
std::vector<std::pair<std::string, const HostTensor*>> named_tensors(const ModelWeights& weights) {
  std::vector<std::pair<std::string, const HostTensor*>> named = {{"embed", &weights.embed}};
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    const std::string prefix = "layers." + std::to_string(i) + ".";
    const LayerWeights& w = weights.layers[i];
    named.insert(named.end(), {{prefix + "attn_norm", &w.attn_norm},
                               {prefix + "wqkv", &w.wqkv},
                               {prefix + "wo", &w.wo},
                               {prefix + "mlp_norm", &w.mlp_norm},
                               {prefix + "w_gate_up", &w.w_gate_up},
                               {prefix + "w_down", &w.w_down}});
    if (!w.bqkv.data.empty()) named.emplace_back(prefix + "bqkv", &w.bqkv);
  }
  named.emplace_back("final_norm", &weights.final_norm);
  if (!weights.lm_head.data.empty()) named.emplace_back("lm_head", &weights.lm_head);
  return named;
}

void expect_same_weights(const ModelWeights& actual, const ModelWeights& expected) {
  const auto actual_named = named_tensors(actual), expected_named = named_tensors(expected);
  ASSERT_EQ(actual_named.size(), expected_named.size());
  for (size_t i = 0; i < actual_named.size(); ++i) {
    EXPECT_EQ(actual_named[i].first, expected_named[i].first);
    EXPECT_EQ(actual_named[i].second->shape, expected_named[i].second->shape) << actual_named[i].first;
    EXPECT_TRUE(actual_named[i].second->data == expected_named[i].second->data) << actual_named[i].first;
  }
}

// A small model for the loader's error cases: q_dim 64, kv_dim 32.
ModelConfig small_config() {
  ModelConfig config;
  config.name = "small";
  config.hidden = 64;
  config.n_layers = 2;
  config.n_heads = 4;
  config.n_kv_heads = 2;
  config.head_dim = 16;
  config.ffn = 96;
  config.vocab = 100;
  config.max_positions = 128;
  return config;
}

// The same with Qwen2's Q/K/V biases and tied embeddings.
ModelConfig small_qwen2_config() {
  ModelConfig config = small_config();
  config.name = "small-qwen2";
  config.family = ModelFamily::qwen2;
  config.qkv_bias = true;
  config.tied_embeddings = true;
  return config;
}

void write_checkpoint(const fs::path& dir, const ModelConfig& config, const ModelWeights& weights,
                      SafetensorsDtype dtype = SafetensorsDtype::F16) {
  write_safetensors(dir / "model.safetensors", hf_tensors(config, weights, dtype));
}

// ---- synthetic weights ----

TEST(SyntheticWeightsTest, Splitmix64MatchesReferenceSequence) {
  // The first outputs of the reference splitmix64 generator seeded with 0 (state advances by the
  // golden-ratio increment each call).
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafull);
  EXPECT_EQ(splitmix64(0x9e3779b97f4a7c15ull), 0x6e789e6aa1b965f4ull);
}

TEST(SyntheticWeightsTest, ShapesFollowConfig) {
  const ModelWeights weights = synthetic_weights(model_preset("tiny"), 1);
  EXPECT_EQ(weights.embed.shape, (std::vector<int64_t>{2048, 256}));
  ASSERT_EQ(weights.layers.size(), 4u);
  const LayerWeights& layer = weights.layers[3];
  EXPECT_EQ(layer.attn_norm.shape, (std::vector<int64_t>{256}));
  EXPECT_EQ(layer.wqkv.shape, (std::vector<int64_t>{256 + 2 * 128, 256}));
  EXPECT_TRUE(layer.bqkv.shape.empty());  // tiny has no bias
  EXPECT_TRUE(layer.bqkv.data.empty());
  EXPECT_EQ(layer.wo.shape, (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(layer.w_gate_up.shape, (std::vector<int64_t>{2 * 768, 256}));
  EXPECT_EQ(layer.w_down.shape, (std::vector<int64_t>{256, 768}));
  EXPECT_EQ(weights.final_norm.shape, (std::vector<int64_t>{256}));
  EXPECT_EQ(weights.lm_head.shape, (std::vector<int64_t>{2048, 256}));
  EXPECT_EQ(layer.w_down.numel(), 196608);
  EXPECT_EQ(static_cast<int64_t>(layer.wqkv.data.size()), layer.wqkv.numel());
  EXPECT_EQ(HostTensor{}.numel(), 0);
  for (const char* preset : {"tiny", "tiny-llama3", "tiny-qwen2", "tiny-mistral"}) {
    const ModelConfig config = model_preset(preset);
    const ModelWeights preset_weights = synthetic_weights(config, 1);
    int64_t total = 0;
    for (const auto& [name, tensor] : named_tensors(preset_weights)) total += tensor->numel();
    EXPECT_EQ(total, config.n_params()) << preset;
  }
  const ModelWeights qwen2 = synthetic_weights(model_preset("tiny-qwen2"), 1);
  EXPECT_EQ(qwen2.layers[2].bqkv.shape, (std::vector<int64_t>{256 + 2 * 128}));  // q_dim 2*128, kv_dim 128
  EXPECT_TRUE(qwen2.lm_head.data.empty());  // tied
}

TEST(SyntheticWeightsTest, DeterministicPerSeed) {
  const ModelConfig config = small_qwen2_config();
  const ModelWeights a = synthetic_weights(config, 42), b = synthetic_weights(config, 42);
  expect_same_weights(a, b);
  const ModelWeights c = synthetic_weights(config, 43);
  const auto a_named = named_tensors(a), c_named = named_tensors(c);
  for (size_t i = 0; i < a_named.size(); ++i) {
    size_t same = 0;
    for (size_t j = 0; j < a_named[i].second->data.size(); ++j) same += a_named[i].second->data[j] == c_named[i].second->data[j];
    // Norm weights sit near 1 where fp16 steps are 1/1024, so some elements agree by chance.
    EXPECT_LT(same, a_named[i].second->data.size() / 4) << a_named[i].first;
  }
  // Different tensors of the same seed differ too (distinct tensor ids).
  EXPECT_NE(a.layers[0].wqkv.data, a.layers[1].wqkv.data);
  EXPECT_NE(a.layers[0].bqkv.data, a.layers[1].bqkv.data);
  const std::vector<float>& gate_up = a.layers[0].w_gate_up.data;
  const size_t half = gate_up.size() / 2;
  EXPECT_FALSE(std::equal(gate_up.begin(), gate_up.begin() + half, gate_up.begin() + half));
}

TEST(SyntheticWeightsTest, NonZeroFp16RoundedAndInRange) {
  for (const char* preset : {"tiny", "tiny-qwen2"}) {
    const ModelConfig config = model_preset(preset);
    const ModelWeights weights = synthetic_weights(config, 7);
    for (const auto& [name, tensor] : named_tensors(weights)) {
      const bool is_bias = name.ends_with("bqkv");
      const bool is_norm = tensor->shape.size() == 1 && !is_bias;
      const bool is_embed = name == "embed";
      const float bound = is_norm || is_bias ? 0.1f : is_embed ? 1.0f : 1.0f / std::sqrt(float(tensor->shape[1]));
      double sum = 0;
      float max_abs_deviation = 0;
      for (const float value : tensor->data) {
        ASSERT_NE(value, 0.0f) << preset << " " << name;
        ASSERT_EQ(value, round_to_fp16(value)) << preset << " " << name;
        const float deviation = is_norm ? value - 1.0f : value;
        ASSERT_LE(std::abs(deviation), bound * 1.001f) << preset << " " << name;  // fp16 rounding may reach the bound
        max_abs_deviation = std::max(max_abs_deviation, std::abs(deviation));
        sum += deviation;
      }
      // Uniform on (-bound, bound): the mean within 5 standard errors (bound / sqrt(3 n)) of 0, and
      // the extremes near the bound.
      const double n = static_cast<double>(tensor->data.size());
      EXPECT_LT(std::abs(sum / n), 5.0 * bound / std::sqrt(3.0 * n)) << preset << " " << name;
      EXPECT_GT(max_abs_deviation, 0.95f * bound) << preset << " " << name;
    }
  }
}

TEST(SyntheticWeightsTest, EachElementRegeneratesFromFormula) {
  const ModelConfig config = model_preset("tiny");
  const uint64_t seed = 123;
  const ModelWeights weights = synthetic_weights(config, seed);
  const int64_t ffn_rows = 768 * 256;  // w_up starts after w_gate's 768 rows of 256
  EXPECT_EQ(synthetic_layer_tensor_id(2, SyntheticLayerTensor::w_up), 1 + 9 * 2 + 7u);
  EXPECT_EQ(weights.layers[2].w_gate_up.data[ffn_rows + 12345],
            round_to_fp16(synthetic_value(seed, 26, 12345, synthetic_projection_scale(256))));
  EXPECT_EQ(weights.layers[1].w_down.data[777],
            round_to_fp16(synthetic_value(seed, synthetic_layer_tensor_id(1, SyntheticLayerTensor::w_down), 777,
                                          synthetic_projection_scale(768))));
  EXPECT_EQ(weights.embed.data[2047 * 256 + 255], round_to_fp16(synthetic_value(seed, 0, 2047 * 256 + 255, 1.0f)));
  EXPECT_EQ(weights.final_norm.data[5],
            round_to_fp16(1.0f + synthetic_value(seed, synthetic_final_norm_id(4), 5, kSyntheticNormSpread)));
  EXPECT_EQ(weights.lm_head.data[9],
            round_to_fp16(synthetic_value(seed, synthetic_lm_head_id(4), 9, synthetic_projection_scale(256))));
  EXPECT_EQ(synthetic_final_norm_id(4), 37u);
  EXPECT_EQ(synthetic_lm_head_id(4), 38u);
  // Hand-computed: 1/sqrt(256) = 0.0625; the value is an odd multiple of scale/4096 inside (-scale, scale).
  EXPECT_EQ(synthetic_projection_scale(256), 0.0625f);
  const float value = synthetic_value(seed, 26, 12345, 4096.0f);
  EXPECT_EQ(std::fmod(std::abs(value), 2.0f), 1.0f);
  EXPECT_LT(std::abs(value), 4096.0f);
}

// The packed tensors hold, part by part, exactly what the separate wq / wk / wv / w_gate / w_up
// tensors held before packing (same tensor id, element index from 0 within the part), so the tiny
// preset's weights, and therefore its tokens, did not change. Checked at the first, a middle and the
// last element of every part of every layer.
TEST(SyntheticWeightsTest, PackedTensorsEqualTheSeparateTensorsTheyReplace) {
  const ModelConfig config = model_preset("tiny");
  const uint64_t seed = 2024;
  const ModelWeights weights = synthetic_weights(config, seed);
  const int64_t H = 256, QD = 256, KD = 128, F = 768;
  const float scale = synthetic_projection_scale(H);
  struct Part {
    const char* name;
    SyntheticLayerTensor tensor;
    int64_t begin, count;  // elements into the packed tensor
    bool gate_up;
  };
  const std::vector<Part> parts = {
      {"wq", SyntheticLayerTensor::wq, 0, QD * H, false},
      {"wk", SyntheticLayerTensor::wk, QD * H, KD * H, false},
      {"wv", SyntheticLayerTensor::wv, (QD + KD) * H, KD * H, false},
      {"w_gate", SyntheticLayerTensor::w_gate, 0, F * H, true},
      {"w_up", SyntheticLayerTensor::w_up, F * H, F * H, true},
  };
  for (int64_t layer = 0; layer < config.n_layers; ++layer) {
    const LayerWeights& w = weights.layers[size_t(layer)];
    for (const Part& part : parts) {
      const std::vector<float>& packed = part.gate_up ? w.w_gate_up.data : w.wqkv.data;
      const uint64_t id = synthetic_layer_tensor_id(uint64_t(layer), part.tensor);
      for (const int64_t index : {int64_t(0), part.count / 2 + 1, part.count - 1}) {
        EXPECT_EQ(packed[size_t(part.begin + index)], round_to_fp16(synthetic_value(seed, id, uint64_t(index), scale)))
            << part.name << " layer " << layer << " element " << index;
      }
    }
  }
  // The ids themselves are the ones the separate tensors had: 1 + 9 * layer + k.
  EXPECT_EQ(synthetic_layer_tensor_id(3, SyntheticLayerTensor::wq), 29u);
  EXPECT_EQ(synthetic_layer_tensor_id(3, SyntheticLayerTensor::wv), 31u);
  EXPECT_EQ(synthetic_layer_tensor_id(3, SyntheticLayerTensor::w_gate), 34u);
}

TEST(SyntheticWeightsTest, BiasesHaveNewIdsAfterTheLmHead) {
  const ModelConfig config = model_preset("tiny-qwen2");  // 3 layers, q_dim 256, kv_dim 128
  const uint64_t seed = 77;
  const ModelWeights weights = synthetic_weights(config, seed);
  // 3 + 9 * 3 + 3 * layer + k: after lm_head's 2 + 9 * 3 = 29 (absent here: tied).
  EXPECT_EQ(synthetic_lm_head_id(3), 29u);
  EXPECT_EQ(synthetic_bias_id(3, 0, SyntheticBiasTensor::bq), 30u);
  EXPECT_EQ(synthetic_bias_id(3, 2, SyntheticBiasTensor::bv), 38u);
  const int64_t QD = 256, KD = 128;
  for (int64_t layer = 0; layer < 3; ++layer) {
    const std::vector<float>& b = weights.layers[size_t(layer)].bqkv.data;
    ASSERT_EQ(b.size(), size_t(QD + 2 * KD));
    const auto expected = [&](SyntheticBiasTensor t, int64_t index) {
      return round_to_fp16(
          synthetic_value(seed, synthetic_bias_id(3, uint64_t(layer), t), uint64_t(index), kSyntheticBiasSpread));
    };
    EXPECT_EQ(b[0], expected(SyntheticBiasTensor::bq, 0));
    EXPECT_EQ(b[size_t(QD - 1)], expected(SyntheticBiasTensor::bq, QD - 1));
    EXPECT_EQ(b[size_t(QD)], expected(SyntheticBiasTensor::bk, 0));
    EXPECT_EQ(b[size_t(QD + KD + 5)], expected(SyntheticBiasTensor::bv, 5));
    EXPECT_EQ(b.back(), expected(SyntheticBiasTensor::bv, KD - 1));
  }
  // Adding the bias leaves every other tensor as the same model without bias has it.
  ModelConfig no_bias = config;
  no_bias.qkv_bias = false;
  ModelWeights without = synthetic_weights(no_bias, seed), with = weights;
  for (LayerWeights& w : with.layers) w.bqkv = {};
  expect_same_weights(with, without);
}

TEST(SyntheticWeightsTest, TiedModelHasNoLmHead) {
  ModelConfig config = small_config();
  config.tied_embeddings = true;
  const ModelWeights weights = synthetic_weights(config, 1);
  EXPECT_TRUE(weights.lm_head.data.empty());
  EXPECT_EQ(weights.lm_head.numel(), 0);
  EXPECT_EQ(&weights.lm_head_or_embed(), &weights.embed);
}

TEST(SyntheticWeightsTest, RejectsInvalidConfig) {
  ModelConfig config = small_config();
  config.head_dim = 15;
  EXPECT_NE(input_error_message([&] { synthetic_weights(config, 1); }).find("head_dim = 15"), std::string::npos);
}

// ---- load_safetensors_weights ----

TEST(LoadSafetensorsWeightsTest, TinyModelRoundTripIsBitExact) {
  TempDir dir;
  const ModelConfig config = model_preset("tiny");
  const ModelWeights written = synthetic_weights(config, 2024);
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, written, SafetensorsDtype::F16);
  tensors.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", SafetensorsDtype::F32, {32},
                     std::vector<std::byte>(128)});  // extra tensors are ignored
  write_safetensors(dir.path() / "model.safetensors", tensors);
  expect_same_weights(load_safetensors_weights(dir.path(), config), written);
}

// q_proj, k_proj, v_proj (and gate_proj, up_proj) land in their row ranges of the packed tensors:
// each file tensor holds a constant naming it, so a mix-up shows.
TEST(LoadSafetensorsWeightsTest, ProjectionsFillTheirRowsOfThePackedTensors) {
  TempDir dir;
  const ModelConfig config = small_qwen2_config();  // q_dim 64, kv_dim 32, ffn 96, hidden 64
  std::vector<test::HfTensor> named = test::hf_named_tensors(config, synthetic_weights(config, 1));
  const std::vector<std::pair<std::string, float>> marks = {
      {"q_proj.weight", 0.25f}, {"k_proj.weight", 0.5f}, {"v_proj.weight", 0.75f}, {"q_proj.bias", -0.25f},
      {"k_proj.bias", -0.5f},   {"v_proj.bias", -0.75f}, {"gate_proj.weight", 1.5f}, {"up_proj.weight", 2.5f}};
  for (test::HfTensor& t : named)
    for (const auto& [suffix, mark] : marks)
      if (t.name.starts_with("model.layers.1.") && t.name.ends_with(suffix)) std::fill(t.data.begin(), t.data.end(), mark);
  std::vector<SafetensorsWriteTensor> tensors;
  for (const test::HfTensor& t : named)
    tensors.push_back({t.name, SafetensorsDtype::F16, t.shape, safetensors_encode_floats(SafetensorsDtype::F16, t.data)});
  write_safetensors(dir.path() / "model.safetensors", tensors);

  const LayerWeights w = load_safetensors_weights(dir.path(), config).layers[1];
  const auto all_equal = [](const std::vector<float>& v, size_t begin, size_t end, float value) {
    return std::all_of(v.begin() + long(begin), v.begin() + long(end), [value](float x) { return x == value; });
  };
  const size_t H = 64, QD = 64, KD = 32, F = 96;
  EXPECT_TRUE(all_equal(w.wqkv.data, 0, QD * H, 0.25f));
  EXPECT_TRUE(all_equal(w.wqkv.data, QD * H, (QD + KD) * H, 0.5f));
  EXPECT_TRUE(all_equal(w.wqkv.data, (QD + KD) * H, (QD + 2 * KD) * H, 0.75f));
  EXPECT_TRUE(all_equal(w.bqkv.data, 0, QD, -0.25f));
  EXPECT_TRUE(all_equal(w.bqkv.data, QD, QD + KD, -0.5f));
  EXPECT_TRUE(all_equal(w.bqkv.data, QD + KD, QD + 2 * KD, -0.75f));
  EXPECT_TRUE(all_equal(w.w_gate_up.data, 0, F * H, 1.5f));
  EXPECT_TRUE(all_equal(w.w_gate_up.data, F * H, 2 * F * H, 2.5f));
  EXPECT_EQ(w.wqkv.shape, (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(w.bqkv.shape, (std::vector<int64_t>{128}));
  EXPECT_EQ(w.w_gate_up.shape, (std::vector<int64_t>{192, 64}));
}

TEST(LoadSafetensorsWeightsTest, QkvBiasAndTiedRoundTripIsBitExact) {
  TempDir dir;
  const ModelConfig config = model_preset("tiny-qwen2");
  const ModelWeights written = synthetic_weights(config, 31);
  write_checkpoint(dir.path(), config, written);
  const ModelWeights loaded = load_safetensors_weights(dir.path(), config);
  expect_same_weights(loaded, written);
  EXPECT_FALSE(loaded.layers[0].bqkv.data.empty());
  EXPECT_TRUE(loaded.lm_head.data.empty());
}

TEST(LoadSafetensorsWeightsTest, MissingOrWrongShapedBiasIsNamed) {
  TempDir dir;
  const ModelConfig config = small_qwen2_config();
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, synthetic_weights(config, 3), SafetensorsDtype::F16);
  std::erase_if(tensors, [](const SafetensorsWriteTensor& t) { return t.name == "model.layers.1.self_attn.k_proj.bias"; });
  write_safetensors(dir.path() / "model.safetensors", tensors);
  std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("model.safetensors: tensor model.layers.1.self_attn.k_proj.bias is missing (expected shape "
                         "[32] for n_kv_heads*head_dim=32)"),
            std::string::npos) << message;

  tensors = hf_tensors(config, synthetic_weights(config, 3), SafetensorsDtype::F16);
  for (SafetensorsWriteTensor& tensor : tensors) {
    if (tensor.name == "model.layers.0.self_attn.q_proj.bias") {
      tensor.shape = {1, 64};  // a row vector, not [64]
    }
  }
  write_safetensors(dir.path() / "model.safetensors", tensors);
  message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("tensor model.layers.0.self_attn.q_proj.bias has shape [1, 64], expected [64] for "
                         "n_heads*head_dim=64"),
            std::string::npos) << message;
}

TEST(LoadSafetensorsWeightsTest, BiasTheModelDoesNotHaveIsRefused) {
  TempDir dir;
  ModelConfig config = small_qwen2_config();
  const ModelWeights with_bias = synthetic_weights(config, 4);
  config.qkv_bias = false;  // a Llama-shaped config reading a checkpoint with Q/K/V biases
  config.family = ModelFamily::llama;
  write_checkpoint(dir.path(), config, with_bias);
  std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("tensor model.layers.0.self_attn.q_proj.bias is present but model 'small-qwen2' (family "
                         "llama, no bias) has no such bias"),
            std::string::npos) << message;

  config = small_qwen2_config();  // o_proj has no bias in any family
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, with_bias, SafetensorsDtype::F32);
  tensors.push_back({"model.layers.1.self_attn.o_proj.bias", SafetensorsDtype::F32, {64}, std::vector<std::byte>(256)});
  write_safetensors(dir.path() / "model.safetensors", tensors);
  message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("tensor model.layers.1.self_attn.o_proj.bias is present"), std::string::npos) << message;
}

TEST(LoadSafetensorsWeightsTest, Bf16AndF32AreRoundedToFp16InShards) {
  TempDir dir;
  const ModelConfig config = small_config();
  ModelWeights written = synthetic_weights(config, 5);
  written.embed.data[0] = 0.1f;  // not an fp16 value: F32 storage keeps it, loading rounds it
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, written, SafetensorsDtype::BF16);
  const std::vector<SafetensorsWriteTensor> f32_tensors = hf_tensors(config, written, SafetensorsDtype::F32);
  tensors[0] = f32_tensors[0];  // the embedding in F32
  const size_t half = tensors.size() / 2;
  write_safetensors(dir.path() / "model-00001-of-00002.safetensors", {tensors.begin(), tensors.begin() + half});
  write_safetensors(dir.path() / "model-00002-of-00002.safetensors", {tensors.begin() + half, tensors.end()});
  nlohmann::json weight_map;
  for (size_t i = 0; i < tensors.size(); ++i) {
    weight_map[tensors[i].name] = i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  write_text_file(dir.path() / "model.safetensors.index.json", nlohmann::json{{"weight_map", weight_map}}.dump());

  const ModelWeights loaded = load_safetensors_weights(dir.path(), config);
  EXPECT_EQ(loaded.embed.data[0], round_to_fp16(0.1f));
  EXPECT_EQ(loaded.embed.data[0], 0.0999755859375f);  // 1638/16384, the nearest fp16 to 0.1
  EXPECT_EQ(loaded.embed.data[1], written.embed.data[1]);
  const auto loaded_named = named_tensors(loaded), written_named = named_tensors(written);
  for (size_t i = 1; i < loaded_named.size(); ++i) {
    const std::vector<float>& source = written_named[i].second->data;
    for (size_t j = 0; j < source.size(); ++j) {
      ASSERT_EQ(loaded_named[i].second->data[j], round_to_fp16(bf16_to_float(float_to_bf16(source[j]))))
          << loaded_named[i].first << "[" << j << "]";
    }
  }
}

TEST(LoadSafetensorsWeightsTest, TiedModelNeedsNoLmHeadAndIgnoresOne) {
  TempDir dir;
  ModelConfig config = small_config();
  config.tied_embeddings = true;
  const ModelWeights written = synthetic_weights(config, 9);
  write_checkpoint(dir.path(), config, written);
  const ModelWeights loaded = load_safetensors_weights(dir.path(), config);
  expect_same_weights(loaded, written);
  EXPECT_TRUE(loaded.lm_head.data.empty());
  EXPECT_EQ(&loaded.lm_head_or_embed(), &loaded.embed);

  // An lm_head.weight in the file of a tied model (some exports keep the copy; here a wrong-shaped
  // one, which would fail if it were read) is ignored: the embedding stays the LM head.
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, written, SafetensorsDtype::F16);
  tensors.push_back({"lm_head.weight", SafetensorsDtype::F16, {3, 64}, std::vector<std::byte>(3 * 64 * 2)});
  write_safetensors(dir.path() / "model.safetensors", tensors);
  const ModelWeights with_copy = load_safetensors_weights(dir.path(), config);
  expect_same_weights(with_copy, written);
  EXPECT_TRUE(with_copy.lm_head.data.empty());

  config.tied_embeddings = false;  // the first file for an untied model lacks lm_head.weight
  write_checkpoint(dir.path(), config, written);
  const std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("model.safetensors: tensor lm_head.weight is missing (expected shape [100, 64] for "
                         "vocab=100, hidden=64)"),
            std::string::npos) << message;
}

TEST(LoadSafetensorsWeightsTest, WrongShapeNamesTensorShapesAndFields) {
  TempDir dir;
  const ModelConfig config = small_config();
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, synthetic_weights(config, 3), SafetensorsDtype::F16);
  for (SafetensorsWriteTensor& tensor : tensors) {
    if (tensor.name == "model.layers.1.mlp.up_proj.weight") {
      tensor.shape = {96, 65};
      tensor.bytes.resize(96 * 65 * 2);
    }
  }
  write_safetensors(dir.path() / "model.safetensors", tensors);
  const std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find((dir.path() / "model.safetensors").string() +
                         ": tensor model.layers.1.mlp.up_proj.weight has shape [96, 65], expected [96, 64] for "
                         "ffn=96, hidden=64"),
            std::string::npos) << message;
}

TEST(LoadSafetensorsWeightsTest, MissingTensorIsNamed) {
  TempDir dir;
  const ModelConfig config = small_config();
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, synthetic_weights(config, 3), SafetensorsDtype::F16);
  std::erase_if(tensors, [](const SafetensorsWriteTensor& t) { return t.name == "model.layers.0.self_attn.k_proj.weight"; });
  write_safetensors(dir.path() / "model.safetensors", tensors);
  const std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("model.safetensors: tensor model.layers.0.self_attn.k_proj.weight is missing "
                         "(expected shape [32, 64] for n_kv_heads*head_dim=32, hidden=64)"),
            std::string::npos) << message;
}

TEST(LoadSafetensorsWeightsTest, WrongDtypeAndFp16OverflowAreNamed) {
  TempDir dir;
  const ModelConfig config = small_config();
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(config, synthetic_weights(config, 3), SafetensorsDtype::F32);
  tensors[1] = {tensors[1].name, SafetensorsDtype::I8, tensors[1].shape, std::vector<std::byte>(64, std::byte{1})};
  write_safetensors(dir.path() / "model.safetensors", tensors);
  std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("tensor model.layers.0.input_layernorm.weight has dtype I8; expected F16, BF16 or F32"),
            std::string::npos) << message;

  tensors = hf_tensors(config, synthetic_weights(config, 3), SafetensorsDtype::F32);
  const std::vector<std::byte> too_large = safetensors_encode_floats(SafetensorsDtype::F32, std::vector<float>{70000.0f});
  std::copy(too_large.begin(), too_large.end(), tensors[0].bytes.begin() + 4 * 3);  // element 3 of the embedding
  write_safetensors(dir.path() / "model.safetensors", tensors);
  message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("model.safetensors: tensor model.embed_tokens.weight element 3 = 70000 is not a finite fp16"),
            std::string::npos) << message;

  // In a packed tensor the element index is the file tensor's own (v_proj element 5, not wqkv's).
  tensors = hf_tensors(config, synthetic_weights(config, 3), SafetensorsDtype::F32);
  for (SafetensorsWriteTensor& tensor : tensors)
    if (tensor.name == "model.layers.1.self_attn.v_proj.weight")
      std::copy(too_large.begin(), too_large.end(), tensor.bytes.begin() + 4 * 5);
  write_safetensors(dir.path() / "model.safetensors", tensors);
  message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("tensor model.layers.1.self_attn.v_proj.weight element 5 = 70000 is not a finite fp16"),
            std::string::npos) << message;
}

TEST(LoadSafetensorsWeightsTest, FolderWithoutWeightsIsNamed) {
  TempDir dir;
  const std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), small_config()); });
  EXPECT_NE(message.find(dir.path().string() + ": no model.safetensors nor model.safetensors.index.json"),
            std::string::npos) << message;
}

}  // namespace
}  // namespace rooflm
