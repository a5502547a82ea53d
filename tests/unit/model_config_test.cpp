// Tests of ModelConfig: preset shapes, family traits and parameter counts against the published
// figures, the CI models' limits, validation errors (incl. the family traits and the size limits),
// and the JSON form (incl. reading an older results file's model). Hugging Face config.json:
// hf_config_test.cpp. Run: build/tests/rooflm_unit_tests --gtest_filter='ModelConfig*'
#include <cmath>
#include <functional>
#include <limits>

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/model/model_config.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/written_out_tiny_model.h"

namespace rooflm {
namespace {

using test::input_error_message;

TEST(ModelConfigTest, PresetParamCountsMatchPublishedWithinOnePercent) {
  const std::vector<std::pair<std::string, double>> published = {
      {"llama2-7b", 6.74e9},    {"llama2-13b", 13.0e9},   {"llama2-70b", 69.0e9},      {"llama3-8b", 8.03e9},
      {"llama3-70b", 70.6e9},   {"llama3.1-8b", 8.03e9},  {"llama3.1-70b", 70.6e9},    {"llama3.2-1b", 1.24e9},
      {"llama3.2-3b", 3.21e9},  {"qwen2.5-0.5b", 0.49e9}, {"qwen2.5-7b", 7.61e9},      {"mistral-7b", 7.24e9},
      {"mistral-7b-v0.3", 7.25e9},
  };
  for (const auto& [name, count] : published) {
    const double n_params = static_cast<double>(model_preset(name).n_params());
    EXPECT_NEAR(n_params / count, 1.0, 0.01) << name << ": " << n_params;
  }
}

TEST(ModelConfigTest, ExactParamCountsOfPublishedCheckpoints) {
  // 32000*4096 embedding + 32 * (4*4096^2 attention + 3*4096*11008 MLP + 2*4096 norms)
  // + 4096 final norm + 32000*4096 lm_head = 6,738,415,616 (the Hugging Face count).
  EXPECT_EQ(model_preset("llama2-7b").n_params(), 6'738'415'616);
  // Qwen2.5-0.5B: 151936*896 tied embedding + 24 * (896*896 + 896 q, 2 * (896*128 + 128) k/v with bias,
  // 896*896 o, 3*896*4864 MLP, 2*896 norms = 14,912,384) + 896 = 494,032,768.
  EXPECT_EQ(model_preset("qwen2.5-0.5b").n_params(), 494'032'768);
  // Qwen2.5-7B: 2 * 152064*3584 + 28 * (3584*3584 + 3584 + 2 * (3584*512 + 512) + 3584*3584
  // + 3*3584*18944 + 2*3584 = 233,057,792) + 3584 = 7,615,616,512.
  EXPECT_EQ(model_preset("qwen2.5-7b").n_params(), 7'615'616'512);
  // Llama-3.2-1B: 128256*2048 tied + 16 * (2*2048^2 + 2*2048*512 + 3*2048*8192 + 2*2048) + 2048.
  EXPECT_EQ(model_preset("llama3.2-1b").n_params(), 1'235'814'400);
  // Llama-3.2-3B: 128256*3072 tied + 28 * (2*3072^2 + 2*3072*1024 + 3*3072*8192 + 2*3072) + 3072.
  EXPECT_EQ(model_preset("llama3.2-3b").n_params(), 3'212'749'824);
  // Mistral-7B-v0.1 (vocab 32000) and v0.3 (vocab 32768): 2*vocab*4096 + 32 * 218,112,000 + 4096.
  EXPECT_EQ(model_preset("mistral-7b").n_params(), 7'241'732'096);
  EXPECT_EQ(model_preset("mistral-7b-v0.3").n_params(), 7'248'023'552);
  // Llama-3.1 has Llama-3's shapes.
  EXPECT_EQ(model_preset("llama3.1-8b").n_params(), model_preset("llama3-8b").n_params());
}

TEST(ModelConfigTest, TinyPresetIsExactlyAsBefore) {
  ModelConfig tiny = model_preset("tiny");
  const ModelConfig written = test::written_out_tiny_model();
  EXPECT_EQ(tiny.hidden, written.hidden);
  EXPECT_EQ(tiny.n_layers, written.n_layers);
  EXPECT_EQ(tiny.n_heads, written.n_heads);
  EXPECT_EQ(tiny.n_kv_heads, written.n_kv_heads);
  EXPECT_EQ(tiny.head_dim, written.head_dim);
  EXPECT_EQ(tiny.ffn, written.ffn);
  EXPECT_EQ(tiny.vocab, written.vocab);
  EXPECT_EQ(tiny.max_positions, written.max_positions);
  EXPECT_EQ(tiny.q_dim(), 256);
  EXPECT_EQ(tiny.kv_dim(), 128);
  EXPECT_EQ(tiny.rope_theta, 1e4);
  EXPECT_EQ(tiny.rms_eps, 1e-5);
  EXPECT_EQ(tiny.family, ModelFamily::llama);
  EXPECT_EQ(tiny.rope_scaling, RopeScaling{});
  EXPECT_FALSE(tiny.tied_embeddings);
  EXPECT_FALSE(tiny.qkv_bias);
  EXPECT_EQ(tiny.sliding_window, 0);
  // per layer: q,o 2*256*256 + k,v 2*128*256 = 196608; MLP 3*256*768 = 589824; norms 512 -> 786944.
  // 4 layers 3147776 + embedding 524288 + final norm 256 + lm_head 524288 = 4196608.
  EXPECT_EQ(tiny.n_params(), 4'196'608);
  tiny.tied_embeddings = true;
  EXPECT_EQ(tiny.n_params(), 4'196'608 - 524'288);
  tiny.qkv_bias = true;  // + 4 layers * (256 + 2*128) biases
  EXPECT_EQ(tiny.n_params(), 4'196'608 - 524'288 + 4 * 512);
}

TEST(ModelConfigTest, PresetFamiliesAndTraitsArePublishedValues) {
  const ModelConfig llama3 = model_preset("llama3-8b");
  EXPECT_EQ(llama3.family, ModelFamily::llama);
  EXPECT_EQ(llama3.n_kv_heads, 8);
  EXPECT_EQ(llama3.head_dim, 128);
  EXPECT_EQ(llama3.vocab, 128256);
  EXPECT_EQ(llama3.max_positions, 8192);
  EXPECT_EQ(llama3.rope_theta, 5e5);
  EXPECT_EQ(llama3.rope_scaling.kind, RopeScaling::Kind::none);
  EXPECT_EQ(llama3.rms_eps, 1e-5);

  const RopeScaling llama31_rope{RopeScaling::Kind::llama3, 8.0, 1.0, 4.0, 8192};
  for (const char* name : {"llama3.1-8b", "llama3.1-70b"}) {
    const ModelConfig c = model_preset(name);
    EXPECT_EQ(c.family, ModelFamily::llama) << name;
    EXPECT_EQ(c.rope_scaling, llama31_rope) << name;
    EXPECT_EQ(c.max_positions, 131072) << name;
    EXPECT_EQ(c.rope_theta, 5e5) << name;
    EXPECT_FALSE(c.tied_embeddings) << name;
  }
  const RopeScaling llama32_rope{RopeScaling::Kind::llama3, 32.0, 1.0, 4.0, 8192};
  const ModelConfig l1b = model_preset("llama3.2-1b"), l3b = model_preset("llama3.2-3b");
  EXPECT_EQ(l1b.rope_scaling, llama32_rope);
  EXPECT_EQ(l3b.rope_scaling, llama32_rope);
  EXPECT_TRUE(l1b.tied_embeddings);
  EXPECT_TRUE(l3b.tied_embeddings);
  EXPECT_EQ(l1b.head_dim, 64);
  EXPECT_EQ(l3b.head_dim, 128);
  EXPECT_EQ(l3b.n_heads, 24);

  const ModelConfig q05 = model_preset("qwen2.5-0.5b"), q7 = model_preset("qwen2.5-7b");
  for (const ModelConfig* q : {&q05, &q7}) {
    EXPECT_EQ(q->family, ModelFamily::qwen2) << q->name;
    EXPECT_TRUE(q->qkv_bias) << q->name;
    EXPECT_EQ(q->rms_eps, 1e-6) << q->name;
    EXPECT_EQ(q->rope_theta, 1e6) << q->name;
    EXPECT_EQ(q->sliding_window, 0) << q->name;  // use_sliding_window: false
    EXPECT_EQ(q->head_dim, q->hidden / q->n_heads) << q->name;
  }
  EXPECT_TRUE(q05.tied_embeddings);
  EXPECT_FALSE(q7.tied_embeddings);
  EXPECT_EQ(q05.head_dim, 64);
  EXPECT_EQ(q05.n_kv_heads, 2);
  EXPECT_EQ(q7.n_kv_heads, 4);
  EXPECT_EQ(q7.vocab, 152064);

  const ModelConfig mistral = model_preset("mistral-7b");  // Mistral-7B-v0.1
  EXPECT_EQ(mistral.family, ModelFamily::mistral);
  EXPECT_EQ(mistral.sliding_window, 4096);
  EXPECT_EQ(mistral.vocab, 32000);
  EXPECT_EQ(mistral.rope_theta, 1e4);
  EXPECT_EQ(mistral.max_positions, 32768);
  const ModelConfig mistral3 = model_preset("mistral-7b-v0.3");
  EXPECT_EQ(mistral3.family, ModelFamily::mistral);
  EXPECT_EQ(mistral3.sliding_window, 0);
  EXPECT_EQ(mistral3.vocab, 32768);
  EXPECT_EQ(mistral3.rope_theta, 1e6);
  EXPECT_EQ(mistral3.max_positions, 32768);

  const ModelConfig llama70 = model_preset("llama2-70b");
  EXPECT_EQ(llama70.n_heads, 64);
  EXPECT_EQ(llama70.n_kv_heads, 8);
  EXPECT_EQ(llama70.ffn, 28672);
  EXPECT_EQ(llama70.rope_theta, 1e4);
  for (const std::string& name : model_preset_names()) {
    const ModelConfig config = model_preset(name);
    EXPECT_NO_THROW(config.validate()) << name;
    EXPECT_EQ(config.name, name);
    EXPECT_EQ(config.qkv_bias, config.family == ModelFamily::qwen2) << name;
  }
  EXPECT_EQ(model_preset_names().size(), 17u);
}

TEST(ModelConfigTest, CiModelsCoverEachFamilyWithinTheKernelAndCpuLimits) {
  for (const char* name : {"tiny", "tiny-llama3", "tiny-qwen2", "tiny-mistral"}) {
    const ModelConfig c = model_preset(name);
    EXPECT_LE(c.hidden, 256) << name;
    EXPECT_LE(c.n_layers, 4) << name;
    EXPECT_LE(c.vocab, 4096) << name;
    EXPECT_EQ(c.hidden % 8, 0) << name;
    EXPECT_EQ(c.ffn % 8, 0) << name;
    EXPECT_TRUE(c.head_dim == 64 || c.head_dim == 128) << name;
  }
  const ModelConfig llama3 = model_preset("tiny-llama3");
  EXPECT_EQ(llama3.family, ModelFamily::llama);
  EXPECT_EQ(llama3.n_heads / llama3.n_kv_heads, 4);  // GQA 4/1
  EXPECT_EQ(llama3.rope_scaling.kind, RopeScaling::Kind::llama3);
  EXPECT_LE(llama3.rope_scaling.original_max_positions, 64);  // scaled well inside CI prompt lengths
  EXPECT_LT(llama3.rope_scaling.original_max_positions, llama3.max_positions);
  EXPECT_TRUE(llama3.tied_embeddings);

  const ModelConfig qwen2 = model_preset("tiny-qwen2");
  EXPECT_EQ(qwen2.family, ModelFamily::qwen2);
  EXPECT_TRUE(qwen2.qkv_bias);
  EXPECT_TRUE(qwen2.tied_embeddings);
  EXPECT_EQ(qwen2.rope_theta, 1e6);
  EXPECT_EQ(qwen2.rms_eps, 1e-6);
  EXPECT_EQ(qwen2.head_dim, 128);

  const ModelConfig mistral = model_preset("tiny-mistral");
  EXPECT_EQ(mistral.family, ModelFamily::mistral);
  EXPECT_EQ(mistral.sliding_window, 16);
  EXPECT_FALSE(mistral.qkv_bias);
}

TEST(ModelConfigTest, UnknownPresetListsNamesAndSuggestsNearest) {
  const std::string message = input_error_message([] { model_preset("llama2-7"); });
  EXPECT_NE(message.find("'llama2-7'"), std::string::npos) << message;
  EXPECT_NE(message.find("tiny"), std::string::npos) << message;
  EXPECT_NE(message.find("mistral-7b"), std::string::npos) << message;
  EXPECT_NE(message.find("qwen2.5-0.5b"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'llama2-7b'"), std::string::npos) << message;
  EXPECT_NE(input_error_message([] { model_preset("mistral7b"); }).find("did you mean 'mistral-7b'"),
            std::string::npos);
  EXPECT_NE(input_error_message([] { model_preset("qwen2.5-7"); }).find("did you mean 'qwen2.5-7b'"),
            std::string::npos);
}

TEST(ModelConfigTest, ValidateNamesTheBadField) {
  struct Case {
    std::function<void(ModelConfig&)> break_config;
    std::string expected_text;
  };
  const auto llama3 = [](ModelConfig& c) { c.rope_scaling = {RopeScaling::Kind::llama3, 8.0, 1.0, 4.0, 64}; };
  const std::vector<Case> cases = {
      {[](ModelConfig& c) { c.hidden = 0; }, "hidden = 0"},
      {[](ModelConfig& c) { c.n_layers = -1; }, "n_layers = -1"},
      {[](ModelConfig& c) { c.n_heads = 0; }, "n_heads = 0"},
      {[](ModelConfig& c) { c.n_kv_heads = 0; }, "n_kv_heads = 0"},
      {[](ModelConfig& c) { c.head_dim = 0; }, "head_dim = 0"},
      {[](ModelConfig& c) { c.ffn = -5; }, "ffn = -5"},
      {[](ModelConfig& c) { c.vocab = 0; }, "vocab = 0"},
      {[](ModelConfig& c) { c.max_positions = 0; }, "max_positions = 0"},
      {[](ModelConfig& c) { c.n_kv_heads = 3; }, "n_heads = 4 is not a multiple of n_kv_heads = 3"},
      {[](ModelConfig& c) { c.head_dim = 63; }, "head_dim = 63 must be even"},
      {[](ModelConfig& c) { c.rope_theta = 0; }, "rope_theta = 0"},
      {[](ModelConfig& c) { c.rms_eps = -1e-5; }, "rms_eps = -1e-05"},
      {[](ModelConfig& c) { c.rms_eps = std::numeric_limits<double>::quiet_NaN(); }, "rms_eps = nan"},
      {[](ModelConfig& c) { c.sliding_window = -1; }, "sliding_window = -1 must be 0 (none) or a window of 1..134217728"},
      {[](ModelConfig& c) { c.rope_scaling = {RopeScaling::Kind::linear, 0.0, 1.0, 4.0, 0}; },
       "rope_scaling.factor = 0 must be a positive finite number"},
      {[&](ModelConfig& c) { llama3(c); c.rope_scaling.factor = -2; }, "rope_scaling.factor = -2 must be a positive"},
      {[&](ModelConfig& c) { llama3(c); c.rope_scaling.original_max_positions = 0; },
       "rope_scaling.original_max_positions = 0 must be positive"},
      {[&](ModelConfig& c) { llama3(c); c.rope_scaling.low_freq_factor = 4; },
       "rope_scaling.high_freq_factor = 4 must be greater than rope_scaling.low_freq_factor = 4"},
      {[&](ModelConfig& c) { llama3(c); c.rope_scaling.low_freq_factor = 0; },
       "rope_scaling.low_freq_factor = 0 must be a positive finite number"},
      // Absurd sizes whose byte counts would overflow int64 are refused by name.
      {[](ModelConfig& c) { c.hidden = int64_t(1) << 40; }, "hidden = 1099511627776 exceeds the limit 1048576"},
      {[](ModelConfig& c) { c.vocab = 1'000'000'000'000; }, "vocab = 1000000000000 exceeds the limit 16777216"},
      {[](ModelConfig& c) { c.n_layers = 5000; }, "n_layers = 5000 exceeds the limit 4096"},
      {[](ModelConfig& c) { c.ffn = int64_t(1) << 21; }, "ffn = 2097152 exceeds the limit 1048576"},
      {[](ModelConfig& c) { c.n_heads = 4096; c.head_dim = 4096; }, "n_heads*head_dim = 16777216 exceeds the limit"},
      {[](ModelConfig& c) { c.max_positions = int64_t(1) << 40; }, "max_positions = 1099511627776 exceeds the limit"},
      {[](ModelConfig& c) { c.sliding_window = int64_t(1) << 40; }, "sliding_window = 1099511627776 must be 0"},
  };
  for (const Case& test_case : cases) {
    ModelConfig config = model_preset("tiny");
    test_case.break_config(config);
    const std::string message = input_error_message([&] { config.validate(); });
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << message;
    EXPECT_NE(message.find("'tiny'"), std::string::npos) << message;
  }
}

TEST(ModelConfigTest, LargestValidModelCountsFitInInt64) {
  ModelConfig c = model_preset("tiny");
  c.hidden = kMaxModelWidth;
  c.ffn = kMaxModelWidth;
  c.n_layers = kMaxModelCount;
  c.n_heads = 256;
  c.n_kv_heads = 256;
  c.head_dim = kMaxModelWidth / 256;  // q_dim at its limit
  c.vocab = kMaxModelVocab;
  c.max_positions = kMaxModelPositions;
  c.qkv_bias = true;
  ASSERT_NO_THROW(c.validate());
  // Computed in long double (exact to 64 bits here): the int64 count agrees and stays below 2^56.
  const long double H = c.hidden, Q = c.q_dim(), KV = c.kv_dim(), F = c.ffn, V = c.vocab, L = c.n_layers;
  const long double expected = 2 * V * H + L * (2 * H * Q + 2 * H * KV + Q + 2 * KV + 3 * H * F + 2 * H) + H;
  EXPECT_EQ(static_cast<long double>(c.n_params()), expected);
  EXPECT_LT(expected * 4, std::ldexp(1.0L, 63));  // fp32 host bytes
  EXPECT_LE(2 * L * KV * 4 * static_cast<long double>(c.max_positions), std::ldexp(1.0L, 62));  // fp32 KV
}

TEST(ModelConfigTest, ToJsonHasEveryField) {
  const nlohmann::json json = model_preset("tiny").to_json();
  EXPECT_EQ(json.at("name"), "tiny");
  EXPECT_EQ(json.at("family"), "llama");
  EXPECT_EQ(json.at("hidden"), 256);
  EXPECT_EQ(json.at("n_layers"), 4);
  EXPECT_EQ(json.at("n_heads"), 4);
  EXPECT_EQ(json.at("n_kv_heads"), 2);
  EXPECT_EQ(json.at("head_dim"), 64);
  EXPECT_EQ(json.at("ffn"), 768);
  EXPECT_EQ(json.at("vocab"), 2048);
  EXPECT_EQ(json.at("max_positions"), 2048);
  EXPECT_EQ(json.at("rope_theta"), 1e4);
  EXPECT_EQ(json.at("rope_scaling"), nlohmann::json({{"type", "none"}}));
  EXPECT_EQ(json.at("rms_eps"), 1e-5);
  EXPECT_EQ(json.at("tied_embeddings"), false);
  EXPECT_EQ(json.at("qkv_bias"), false);
  EXPECT_EQ(json.at("sliding_window"), 0);
  EXPECT_EQ(json.at("n_params"), 4'196'608);
  EXPECT_EQ(json.size(), 17u);

  const nlohmann::json llama31 = model_preset("llama3.1-8b").to_json();
  EXPECT_EQ(llama31.at("rope_scaling"), nlohmann::json::parse(R"({"type": "llama3", "factor": 8.0,
      "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_positions": 8192})"));
  const nlohmann::json qwen = model_preset("qwen2.5-0.5b").to_json();
  EXPECT_EQ(qwen.at("family"), "qwen2");
  EXPECT_EQ(qwen.at("qkv_bias"), true);
  EXPECT_EQ(qwen.at("n_params"), 494'032'768);
  EXPECT_EQ(model_preset("mistral-7b").to_json().at("sliding_window"), 4096);
  ModelConfig linear = model_preset("tiny");
  linear.rope_scaling = {RopeScaling::Kind::linear, 4.0, 1.0, 4.0, 0};
  EXPECT_EQ(linear.to_json().at("rope_scaling"), nlohmann::json({{"type", "linear"}, {"factor", 4.0}}));
}

TEST(ModelConfigTest, OlderModelJsonReadsAsTodaysLlamaDefaults) {
  nlohmann::json older = model_preset("tiny").to_json();
  for (const char* key : {"family", "rope_scaling", "qkv_bias", "sliding_window"}) older.erase(key);
  EXPECT_EQ(model_json_now(older), model_preset("tiny").to_json());
  // Written values are kept, and a model that differs still differs.
  EXPECT_EQ(model_json_now(model_preset("tiny-qwen2").to_json()), model_preset("tiny-qwen2").to_json());
  nlohmann::json mistral = model_preset("tiny-mistral").to_json();
  EXPECT_NE(model_json_now(mistral), model_json_now(older));
  EXPECT_EQ(model_json_now(nullptr), nullptr);
  EXPECT_EQ(model_json_now("tiny"), "tiny");
}

}  // namespace
}  // namespace rooflm
