// Tests of model weights: the seeded synthetic init (determinism, fp16 rounding, ranges, the
// per-element formula of synthetic_init.h) and load_safetensors_weights on files written by the
// safetensors writer (bit-exact, sharded, tied, wrong shape / dtype, missing tensor).
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/half.h"
#include "engine/model/safetensors.h"
#include "common/synthetic_init.h"
#include "engine/model/weights.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_text_file;

using test::input_error_message;

// Every tensor of `weights` with its Hugging Face name, in file order.
std::vector<std::pair<std::string, const HostTensor*>> named_tensors(const ModelWeights& weights) {
  std::vector<std::pair<std::string, const HostTensor*>> named = {{"model.embed_tokens.weight", &weights.embed}};
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    const std::string prefix = "model.layers." + std::to_string(i) + ".";
    const LayerWeights& w = weights.layers[i];
    named.insert(named.end(), {{prefix + "input_layernorm.weight", &w.attn_norm},
                               {prefix + "self_attn.q_proj.weight", &w.wq},
                               {prefix + "self_attn.k_proj.weight", &w.wk},
                               {prefix + "self_attn.v_proj.weight", &w.wv},
                               {prefix + "self_attn.o_proj.weight", &w.wo},
                               {prefix + "post_attention_layernorm.weight", &w.mlp_norm},
                               {prefix + "mlp.gate_proj.weight", &w.w_gate},
                               {prefix + "mlp.up_proj.weight", &w.w_up},
                               {prefix + "mlp.down_proj.weight", &w.w_down}});
  }
  named.emplace_back("model.norm.weight", &weights.final_norm);
  if (!weights.lm_head.data.empty()) named.emplace_back("lm_head.weight", &weights.lm_head);
  return named;
}

std::vector<SafetensorsWriteTensor> hf_tensors(const ModelWeights& weights, SafetensorsDtype dtype) {
  std::vector<SafetensorsWriteTensor> tensors;
  for (const auto& [name, tensor] : named_tensors(weights)) {
    tensors.push_back({name, dtype, tensor->shape, safetensors_encode_floats(dtype, tensor->data)});
  }
  return tensors;
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
  EXPECT_EQ(layer.wq.shape, (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(layer.wk.shape, (std::vector<int64_t>{128, 256}));
  EXPECT_EQ(layer.wv.shape, (std::vector<int64_t>{128, 256}));
  EXPECT_EQ(layer.wo.shape, (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(layer.w_gate.shape, (std::vector<int64_t>{768, 256}));
  EXPECT_EQ(layer.w_up.shape, (std::vector<int64_t>{768, 256}));
  EXPECT_EQ(layer.w_down.shape, (std::vector<int64_t>{256, 768}));
  EXPECT_EQ(weights.final_norm.shape, (std::vector<int64_t>{256}));
  EXPECT_EQ(weights.lm_head.shape, (std::vector<int64_t>{2048, 256}));
  EXPECT_EQ(layer.w_down.numel(), 196608);
  EXPECT_EQ(static_cast<int64_t>(layer.w_down.data.size()), layer.w_down.numel());
  EXPECT_EQ(HostTensor{}.numel(), 0);
  int64_t total = 0;
  for (const auto& [name, tensor] : named_tensors(weights)) total += tensor->numel();
  EXPECT_EQ(total, model_preset("tiny").n_params());
}

TEST(SyntheticWeightsTest, DeterministicPerSeed) {
  const ModelConfig config = small_config();
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
  EXPECT_NE(a.layers[0].wq.data, a.layers[1].wq.data);
  EXPECT_NE(a.layers[0].w_gate.data, a.layers[0].w_up.data);
}

TEST(SyntheticWeightsTest, NonZeroFp16RoundedAndInRange) {
  const ModelConfig config = model_preset("tiny");
  const ModelWeights weights = synthetic_weights(config, 7);
  for (const auto& [name, tensor] : named_tensors(weights)) {
    const bool is_norm = tensor->shape.size() == 1;
    const bool is_embed = name == "model.embed_tokens.weight";
    const float bound = is_norm ? 0.1f : is_embed ? 1.0f : 1.0f / std::sqrt(float(tensor->shape[1]));
    double sum = 0;
    float max_abs_deviation = 0;
    for (const float value : tensor->data) {
      ASSERT_NE(value, 0.0f) << name;
      ASSERT_EQ(value, round_to_fp16(value)) << name;
      const float deviation = is_norm ? value - 1.0f : value;
      ASSERT_LE(std::abs(deviation), bound * 1.001f) << name;  // fp16 rounding may reach the bound
      max_abs_deviation = std::max(max_abs_deviation, std::abs(deviation));
      sum += deviation;
    }
    // Uniform on (-bound, bound): the mean within 5 standard errors (bound / sqrt(3 n)) of 0, and
    // the extremes near the bound.
    const double n = static_cast<double>(tensor->data.size());
    EXPECT_LT(std::abs(sum / n), 5.0 * bound / std::sqrt(3.0 * n)) << name;
    EXPECT_GT(max_abs_deviation, 0.95f * bound) << name;
  }
}

TEST(SyntheticWeightsTest, EachElementRegeneratesFromFormula) {
  const ModelConfig config = model_preset("tiny");
  const uint64_t seed = 123;
  const ModelWeights weights = synthetic_weights(config, seed);
  EXPECT_EQ(synthetic_layer_tensor_id(2, SyntheticLayerTensor::w_up), 1 + 9 * 2 + 7u);
  EXPECT_EQ(weights.layers[2].w_up.data[12345],
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
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(written, SafetensorsDtype::F16);
  tensors.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", SafetensorsDtype::F32, {32},
                     std::vector<std::byte>(128)});  // extra tensors are ignored
  write_safetensors(dir.path() / "model.safetensors", tensors);
  expect_same_weights(load_safetensors_weights(dir.path(), config), written);
}

TEST(LoadSafetensorsWeightsTest, Bf16AndF32AreRoundedToFp16InShards) {
  TempDir dir;
  const ModelConfig config = small_config();
  ModelWeights written = synthetic_weights(config, 5);
  written.embed.data[0] = 0.1f;  // not an fp16 value: F32 storage keeps it, loading rounds it
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(written, SafetensorsDtype::BF16);
  const std::vector<SafetensorsWriteTensor> f32_tensors = hf_tensors(written, SafetensorsDtype::F32);
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

TEST(LoadSafetensorsWeightsTest, TiedModelNeedsNoLmHead) {
  TempDir dir;
  ModelConfig config = small_config();
  config.tied_embeddings = true;
  const ModelWeights written = synthetic_weights(config, 9);
  write_safetensors(dir.path() / "model.safetensors", hf_tensors(written, SafetensorsDtype::F16));
  const ModelWeights loaded = load_safetensors_weights(dir.path(), config);
  expect_same_weights(loaded, written);
  EXPECT_TRUE(loaded.lm_head.data.empty());
  EXPECT_EQ(&loaded.lm_head_or_embed(), &loaded.embed);

  config.tied_embeddings = false;  // the same file for an untied model lacks lm_head.weight
  const std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("model.safetensors: tensor lm_head.weight is missing (expected shape [100, 64] for "
                         "vocab=100, hidden=64)"),
            std::string::npos) << message;
}

TEST(LoadSafetensorsWeightsTest, WrongShapeNamesTensorShapesAndFields) {
  TempDir dir;
  const ModelConfig config = small_config();
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(synthetic_weights(config, 3), SafetensorsDtype::F16);
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
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(synthetic_weights(config, 3), SafetensorsDtype::F16);
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
  std::vector<SafetensorsWriteTensor> tensors = hf_tensors(synthetic_weights(config, 3), SafetensorsDtype::F32);
  tensors[1] = {tensors[1].name, SafetensorsDtype::I8, tensors[1].shape, std::vector<std::byte>(64, std::byte{1})};
  write_safetensors(dir.path() / "model.safetensors", tensors);
  std::string message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("tensor model.layers.0.input_layernorm.weight has dtype I8; expected F16, BF16 or F32"),
            std::string::npos) << message;

  tensors = hf_tensors(synthetic_weights(config, 3), SafetensorsDtype::F32);
  const std::vector<std::byte> too_large = safetensors_encode_floats(SafetensorsDtype::F32, std::vector<float>{70000.0f});
  std::copy(too_large.begin(), too_large.end(), tensors[0].bytes.begin() + 4 * 3);  // element 3 of the embedding
  write_safetensors(dir.path() / "model.safetensors", tensors);
  message = input_error_message([&] { load_safetensors_weights(dir.path(), config); });
  EXPECT_NE(message.find("model.safetensors: tensor model.embed_tokens.weight element 3 = 70000 is not a finite fp16"),
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
