// Tests of reading Hugging Face config.json files (engine/model/hf_config.cpp): each family
// (llama, qwen2, mistral) from configs abridged from the published files, both RoPE formats
// (transformers 4 `rope_theta` + `rope_scaling`, transformers 5 `rope_parameters`), and every refusal
// (unknown model_type, MoE, activation, biases, Qwen2's sliding window, unsupported rope types)
// naming the file and the field. Run: build/tests/rooflm_unit_tests --gtest_filter='HfConfig*'
#include <functional>

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/model/model_config.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

using nlohmann::json;
using test::input_error_message;
using test::TempDir;
using test::write_text_file;

// Meta-Llama-3-8B's config.json (abridged).
json llama3_hf_config() {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"hidden_size", 4096},
          {"num_hidden_layers", 32},
          {"num_attention_heads", 32},
          {"num_key_value_heads", 8},
          {"intermediate_size", 14336},
          {"vocab_size", 128256},
          {"max_position_embeddings", 8192},
          {"rope_theta", 500000.0},
          {"rms_norm_eps", 1e-05},
          {"rope_scaling", nullptr},
          {"hidden_act", "silu"},
          {"attention_bias", false},
          {"mlp_bias", false},
          {"tie_word_embeddings", false},
          {"torch_dtype", "bfloat16"}};
}

// Llama-3.1-8B as transformers 4 writes it: rope_theta beside rope_scaling.
json llama31_hf_config_v4() {
  json config = llama3_hf_config();
  config["max_position_embeddings"] = 131072;
  config["rope_scaling"] = {{"factor", 8.0},
                            {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", 8192},
                            {"rope_type", "llama3"}};
  return config;
}

// The same as transformers 5 writes it: everything inside rope_parameters.
json llama31_hf_config_v5() {
  json config = llama31_hf_config_v4();
  json params = config["rope_scaling"];
  params["rope_theta"] = 500000.0;
  config.erase("rope_scaling");
  config.erase("rope_theta");
  config["rope_parameters"] = params;
  config["dtype"] = "bfloat16";
  config.erase("torch_dtype");
  return config;
}

// Qwen2.5-0.5B's config.json (abridged).
json qwen25_hf_config() {
  return json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
    "hidden_size": 896, "intermediate_size": 4864, "num_attention_heads": 14, "num_hidden_layers": 24,
    "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 32768,
    "max_window_layers": 24, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768,
    "use_sliding_window": false, "tie_word_embeddings": true, "torch_dtype": "bfloat16"})");
}

// Mistral-7B-v0.1's config.json (abridged).
json mistral_hf_config() {
  return json::parse(R"({
    "architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_act": "silu",
    "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "vocab_size": 32000, "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4096, "tie_word_embeddings": false})");
}

ModelConfig read_config(const TempDir& dir, const json& config) {
  write_text_file(dir.path() / "config.json", config.dump());
  return model_config_from_hf(dir.path());
}

// Writes `config` as config.json and returns the error message reading it produces.
std::string hf_error(const TempDir& dir, const json& config) {
  write_text_file(dir.path() / "config.json", config.dump());
  return input_error_message([&] { model_config_from_hf(dir.path()); });
}

// Every field but the name (a folder name here, a preset name there).
void expect_same_model(ModelConfig actual, const ModelConfig& expected) {
  actual.name = expected.name;
  EXPECT_EQ(actual.to_json(), expected.to_json());
}

TEST(HfConfigTest, RoundTripFromFolderAndFile) {
  TempDir dir;
  const auto folder = dir.path() / "Meta-Llama-3-8B";
  write_text_file(folder / "config.json", llama3_hf_config().dump(2));
  for (const auto& path : {folder, folder / "config.json", std::filesystem::path(folder.string() + "/")}) {
    const ModelConfig config = model_config_from_hf(path);
    EXPECT_EQ(config.name, "Meta-Llama-3-8B") << path;
    EXPECT_EQ(config.family, ModelFamily::llama);
    EXPECT_EQ(config.hidden, 4096);
    EXPECT_EQ(config.n_layers, 32);
    EXPECT_EQ(config.n_heads, 32);
    EXPECT_EQ(config.n_kv_heads, 8);
    EXPECT_EQ(config.head_dim, 128);
    EXPECT_EQ(config.ffn, 14336);
    EXPECT_EQ(config.vocab, 128256);
    EXPECT_EQ(config.max_positions, 8192);
    EXPECT_EQ(config.rope_theta, 5e5);
    EXPECT_EQ(config.rope_scaling.kind, RopeScaling::Kind::none);
    EXPECT_EQ(config.rms_eps, 1e-5);
    EXPECT_FALSE(config.tied_embeddings);
    EXPECT_FALSE(config.qkv_bias);
    EXPECT_EQ(config.sliding_window, 0);
    expect_same_model(config, model_preset("llama3-8b"));
  }
}

TEST(HfConfigTest, TextReadsLikeTheFile) {
  const std::string text = llama3_hf_config().dump();
  const ModelConfig config = model_config_from_hf_text(text, "models/Meta-Llama-3-8B/config.json");
  EXPECT_EQ(config.name, "Meta-Llama-3-8B");
  expect_same_model(config, model_preset("llama3-8b"));
  const std::string message =
      input_error_message([] { model_config_from_hf_text("{\"hidden_size\": ", "models/m/config.json"); });
  EXPECT_NE(message.find("models/m/config.json:1:17: JSON syntax error"), std::string::npos) << message;
  // Found by the hf_config fuzz target: a number beyond a double escaped as nlohmann's out_of_range.
  const std::string huge =
      input_error_message([] { model_config_from_hf_text("{\"rope_theta\": 1e400}", "m/config.json"); });
  EXPECT_NE(huge.find("m/config.json:1:16: number 1e400 does not fit a double"), std::string::npos) << huge;
}

TEST(HfConfigTest, DefaultsAndExplicitHeadDim) {
  TempDir dir;
  json config = llama3_hf_config();
  for (const char* field : {"num_key_value_heads", "rope_theta", "tie_word_embeddings", "model_type", "hidden_act",
                            "attention_bias", "mlp_bias", "rope_scaling"})
    config.erase(field);
  config["head_dim"] = nullptr;
  ModelConfig read = read_config(dir, config);
  EXPECT_EQ(read.family, ModelFamily::llama);  // model_type absent: llama
  EXPECT_EQ(read.n_kv_heads, 32);
  EXPECT_EQ(read.rope_theta, 1e4);
  EXPECT_EQ(read.rope_scaling.kind, RopeScaling::Kind::none);
  EXPECT_FALSE(read.tied_embeddings);
  EXPECT_EQ(read.head_dim, 128);

  config["head_dim"] = 64;  // q_dim 2048 != hidden, as in some Mistral derivatives
  config["tie_word_embeddings"] = true;
  read = read_config(dir, config);
  EXPECT_EQ(read.head_dim, 64);
  EXPECT_EQ(read.q_dim(), 2048);
  EXPECT_TRUE(read.tied_embeddings);
}

TEST(HfConfigTest, Llama31InBothRopeFormatsIsThePreset) {
  TempDir dir;
  expect_same_model(read_config(dir, llama31_hf_config_v4()), model_preset("llama3.1-8b"));
  expect_same_model(read_config(dir, llama31_hf_config_v5()), model_preset("llama3.1-8b"));
  // transformers 4 spelled the type "type" in older files.
  json old_key = llama31_hf_config_v4();
  old_key["rope_scaling"].erase("rope_type");
  old_key["rope_scaling"]["type"] = "llama3";
  expect_same_model(read_config(dir, old_key), model_preset("llama3.1-8b"));
  // transformers 5 without rope_theta in rope_parameters: the top-level one (or 10000).
  json v5 = llama31_hf_config_v5();
  v5["rope_parameters"].erase("rope_theta");
  v5["rope_theta"] = 500000.0;
  expect_same_model(read_config(dir, v5), model_preset("llama3.1-8b"));
  v5.erase("rope_theta");
  EXPECT_EQ(read_config(dir, v5).rope_theta, 1e4);
  // ... and original_max_position_embeddings at the top level (transformers 5 reads it there too).
  v5 = llama31_hf_config_v5();
  v5["rope_parameters"].erase("original_max_position_embeddings");
  v5["original_max_position_embeddings"] = 8192;
  expect_same_model(read_config(dir, v5), model_preset("llama3.1-8b"));
}

TEST(HfConfigTest, Llama32TiedWithHeadDim) {
  TempDir dir;
  json config = llama31_hf_config_v4();
  config["hidden_size"] = 2048;
  config["num_hidden_layers"] = 16;
  config["intermediate_size"] = 8192;
  config["head_dim"] = 64;
  config["tie_word_embeddings"] = true;
  config["rope_scaling"]["factor"] = 32.0;
  expect_same_model(read_config(dir, config), model_preset("llama3.2-1b"));
}

TEST(HfConfigTest, DefaultAndLinearRopeTypes) {
  TempDir dir;
  for (const json& rope : {json{{"rope_type", "default"}}, json{{"type", "default"}}, json::object()}) {
    json config = llama3_hf_config();
    config["rope_scaling"] = rope;
    EXPECT_EQ(read_config(dir, config).rope_scaling, RopeScaling{}) << rope.dump();
    config.erase("rope_scaling");
    config["rope_parameters"] = rope;
    EXPECT_EQ(read_config(dir, config).rope_scaling, RopeScaling{}) << rope.dump();
  }
  json config = llama3_hf_config();
  config["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  RopeScaling scaling = read_config(dir, config).rope_scaling;
  EXPECT_EQ(scaling.kind, RopeScaling::Kind::linear);
  EXPECT_EQ(scaling.factor, 4.0);
  config.erase("rope_scaling");
  config.erase("rope_theta");
  config["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 2}, {"rope_theta", 10000.0}};
  const ModelConfig read = read_config(dir, config);
  EXPECT_EQ(read.rope_scaling.kind, RopeScaling::Kind::linear);
  EXPECT_EQ(read.rope_scaling.factor, 2.0);
  EXPECT_EQ(read.rope_theta, 1e4);
}

TEST(HfConfigTest, Qwen2HasQkvBiasAndIsThePreset) {
  TempDir dir;
  const ModelConfig read = read_config(dir, qwen25_hf_config());
  EXPECT_EQ(read.family, ModelFamily::qwen2);
  EXPECT_TRUE(read.qkv_bias);
  EXPECT_EQ(read.sliding_window, 0);  // use_sliding_window false: its sliding_window is unused
  EXPECT_EQ(read.rms_eps, 1e-6);
  expect_same_model(read, model_preset("qwen2.5-0.5b"));
  // transformers 5: rope_parameters and per-layer types, all full attention.
  json v5 = qwen25_hf_config();
  v5.erase("rope_theta");
  v5["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 1000000.0}};
  v5["layer_types"] = json::array();
  for (int i = 0; i < 24; ++i) v5["layer_types"].push_back("full_attention");
  expect_same_model(read_config(dir, v5), model_preset("qwen2.5-0.5b"));
}

TEST(HfConfigTest, MistralSlidingWindowIntOrNull) {
  TempDir dir;
  const ModelConfig v01 = read_config(dir, mistral_hf_config());
  EXPECT_EQ(v01.family, ModelFamily::mistral);
  EXPECT_EQ(v01.sliding_window, 4096);
  EXPECT_FALSE(v01.qkv_bias);
  expect_same_model(v01, model_preset("mistral-7b"));
  json v03 = mistral_hf_config();
  v03["sliding_window"] = nullptr;
  v03["vocab_size"] = 32768;
  v03["rope_theta"] = 1000000.0;
  expect_same_model(read_config(dir, v03), model_preset("mistral-7b-v0.3"));
  v03.erase("sliding_window");
  EXPECT_EQ(read_config(dir, v03).sliding_window, 0);
  // A Llama config's sliding_window (not a Llama field) is not read.
  json llama = llama3_hf_config();
  llama["sliding_window"] = 4096;
  EXPECT_EQ(read_config(dir, llama).sliding_window, 0);
}

TEST(HfConfigTest, MissingRequiredFieldNamesFileAndField) {
  TempDir dir;
  for (const char* field : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                            "vocab_size", "max_position_embeddings", "rms_norm_eps"}) {
    json config = llama3_hf_config();
    config.erase(field);
    const std::string message = hf_error(dir, config);
    EXPECT_NE(message.find("config.json"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("missing required field \"") + field + "\""), std::string::npos) << message;
  }
}

TEST(HfConfigTest, WrongTypesAndValuesNameFileAndField) {
  TempDir dir;
  struct Case {
    const char* field;
    json value;
    std::string expected_text;
  };
  const std::vector<Case> cases = {
      {"hidden_size", "4096", "\"hidden_size\" must be an integer"},
      {"num_hidden_layers", 32.5, "\"num_hidden_layers\" must be an integer"},
      {"num_key_value_heads", 0, "\"num_key_value_heads\" = 0 must be positive"},
      {"vocab_size", -1, "\"vocab_size\" = -1 must be positive"},
      {"vocab_size", 1'000'000'000'000, "vocab = 1000000000000 exceeds the limit 16777216"},
      {"hidden_size", uint64_t(1) << 63, "\"hidden_size\" = 9223372036854775808 is too large"},
      {"rms_norm_eps", "1e-5", "\"rms_norm_eps\" must be a number"},
      {"rope_theta", true, "\"rope_theta\" must be a number"},
      {"tie_word_embeddings", "yes", "\"tie_word_embeddings\" must be true or false"},
      {"head_dim", 127, "head_dim = 127 must be even"},
      {"num_key_value_heads", 5, "n_heads = 32 is not a multiple of n_kv_heads = 5"},
      {"num_attention_heads", 30, "hidden_size = 4096 is not a multiple of num_attention_heads = 30"},
      {"hidden_act", 7, "field \"hidden_act\" must be a string"},
      {"rope_scaling", "llama3", "field \"rope_scaling\" must be an object, got \"llama3\""},
  };
  for (const Case& test_case : cases) {
    json config = llama3_hf_config();
    config[test_case.field] = test_case.value;
    const std::string message = hf_error(dir, config);
    EXPECT_NE(message.find((dir.path() / "config.json").string()), std::string::npos) << message;
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << message;
  }
}

TEST(HfConfigTest, UnsupportedModelsAreRefusedByField) {
  TempDir dir;
  struct Case {
    std::function<void(json&)> edit;
    std::string expected_text;
  };
  const std::string supported = "(supported: \"llama\", \"mistral\", \"qwen2\")";
  const std::vector<Case> cases = {
      {[](json& c) { c["model_type"] = "mixtral"; }, "model_type \"mixtral\" is not supported " + supported},
      {[](json& c) { c["model_type"] = "qwen2_moe"; }, "model_type \"qwen2_moe\" is not supported " + supported},
      {[](json& c) { c["model_type"] = "gemma"; }, "model_type \"gemma\" is not supported " + supported},
      {[](json& c) { c["num_local_experts"] = 8; },
       "field \"num_local_experts\" = 8: mixture-of-experts models are not supported"},
      {[](json& c) { c["num_experts"] = 60; }, "field \"num_experts\" = 60: mixture-of-experts"},
      {[](json& c) { c["n_routed_experts"] = 64; }, "field \"n_routed_experts\" = 64: mixture-of-experts"},
      {[](json& c) { c["hidden_act"] = "gelu"; }, "field \"hidden_act\" = \"gelu\" is not supported (only \"silu\""},
      {[](json& c) { c["attention_bias"] = true; },
       "field \"attention_bias\" = true is not supported for model_type \"llama\""},
      {[](json& c) { c["mlp_bias"] = true; }, "field \"mlp_bias\" = true is not supported"},
      {[](json& c) { c["layer_types"] = {"full_attention", "sliding_attention"}; },
       "field \"layer_types\"[1] = \"sliding_attention\" is not supported"},
      {[](json& c) { c["partial_rotary_factor"] = 0.5; },
       "field \"partial_rotary_factor\" = 0.5 is not supported (RoPE rotates the whole head: only 1)"},
  };
  for (const Case& test_case : cases) {
    json config = llama3_hf_config();
    test_case.edit(config);
    const std::string message = hf_error(dir, config);
    EXPECT_NE(message.find((dir.path() / "config.json").string() + ": "), std::string::npos) << message;
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << message;
  }
  json qwen = qwen25_hf_config();
  qwen["use_sliding_window"] = true;
  std::string message = hf_error(dir, qwen);
  EXPECT_NE(message.find("field \"use_sliding_window\" = true is not supported for model_type \"qwen2\""),
            std::string::npos) << message;
  json mistral = mistral_hf_config();
  mistral["attention_bias"] = true;
  message = hf_error(dir, mistral);
  EXPECT_NE(message.find("field \"attention_bias\" = true is not supported for model_type \"mistral\""),
            std::string::npos) << message;
  mistral = mistral_hf_config();
  mistral["sliding_window"] = 0;
  EXPECT_NE(hf_error(dir, mistral).find("field \"sliding_window\" = 0 must be positive"), std::string::npos);
}

TEST(HfConfigTest, RopeErrorsNameTheFieldInEitherFormat) {
  TempDir dir;
  const std::string supported = "is not supported (supported rope types: \"default\", \"linear\", \"llama3\")";
  for (const char* type : {"dynamic", "yarn", "longrope", "ntk"}) {
    json v4 = llama31_hf_config_v4();
    v4["rope_scaling"]["rope_type"] = type;
    EXPECT_NE(hf_error(dir, v4).find("field \"rope_scaling.rope_type\" = \"" + std::string(type) + "\" " + supported),
              std::string::npos)
        << hf_error(dir, v4);
    json v5 = llama31_hf_config_v5();
    v5["rope_parameters"]["rope_type"] = type;
    EXPECT_NE(hf_error(dir, v5).find("field \"rope_parameters.rope_type\" = \"" + std::string(type) + "\" " + supported),
              std::string::npos)
        << hf_error(dir, v5);
  }
  struct Case {
    std::function<void(json&)> edit;
    std::string expected_text;
  };
  const std::vector<Case> cases = {
      {[](json& c) {
         c["rope_scaling"].erase("rope_type");
         c["rope_scaling"]["type"] = "dynamic";
       },
       "field \"rope_scaling.type\" = \"dynamic\" " + supported},
      {[](json& c) { c["rope_scaling"]["type"] = "linear"; },
       "fields \"rope_scaling.rope_type\" = \"llama3\" and \"rope_scaling.type\" = \"linear\" disagree"},
      {[](json& c) { c["rope_scaling"].erase("original_max_position_embeddings"); },
       "missing required field \"rope_scaling.original_max_position_embeddings\""},
      {[](json& c) { c["rope_scaling"].erase("low_freq_factor"); }, "missing required field \"rope_scaling.low_freq_factor\""},
      {[](json& c) { c["rope_scaling"]["factor"] = "8"; }, "field \"rope_scaling.factor\" must be a number"},
      {[](json& c) { c["rope_scaling"]["factor"] = 0; }, "rope_scaling.factor = 0 must be a positive finite number"},
      {[](json& c) { c["rope_scaling"]["high_freq_factor"] = 1.0; },
       "rope_scaling.high_freq_factor = 1 must be greater than rope_scaling.low_freq_factor = 1"},
      {[](json& c) { c["rope_scaling"]["original_max_position_embeddings"] = 0; },
       "field \"rope_scaling.original_max_position_embeddings\" = 0 must be positive"},
      {[](json& c) { c["rope_parameters"] = {{"rope_type", "default"}}; },
       "both \"rope_scaling\" (transformers 4) and \"rope_parameters\" (transformers 5) are given"},
      {[](json& c) { c["rope_scaling"]["rope_theta"] = 10000.0; },
       "field \"rope_scaling.rope_theta\" = 10000 disagrees with \"rope_theta\" = 500000"},
      {[](json& c) { c["rope_scaling"]["partial_rotary_factor"] = 0.25; },
       "field \"rope_scaling.partial_rotary_factor\" = 0.25 is not supported"},
      {[](json& c) {
         c["rope_scaling"] = {{"full_attention", {{"rope_type", "default"}}}, {"sliding_attention", {{"rope_type", "default"}}}};
       },
       "field \"rope_scaling.full_attention\" is an object: per-layer-type rope parameters are not supported"},
  };
  for (const Case& test_case : cases) {
    json config = llama31_hf_config_v4();
    test_case.edit(config);
    const std::string message = hf_error(dir, config);
    EXPECT_NE(message.find((dir.path() / "config.json").string() + ": "), std::string::npos) << message;
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << message;
  }
  json v5 = llama31_hf_config_v5();
  v5["rope_parameters"].erase("factor");
  EXPECT_NE(hf_error(dir, v5).find("missing required field \"rope_parameters.factor\""), std::string::npos)
      << hf_error(dir, v5);
}

TEST(HfConfigTest, UnreadableFilesNameTheFile) {
  TempDir dir;
  EXPECT_NE(input_error_message([&] { model_config_from_hf(dir.path()); }).find("config.json: no such file"),
            std::string::npos);
  write_text_file(dir.path() / "config.json", "{\"hidden_size\": 4096,");
  EXPECT_NE(input_error_message([&] { model_config_from_hf(dir.path()); }).find("config.json:1:22: JSON syntax error"),
            std::string::npos);
  write_text_file(dir.path() / "config.json", "[4096]");
  EXPECT_NE(input_error_message([&] { model_config_from_hf(dir.path()); }).find("config.json: expected a JSON object"),
            std::string::npos);
}

}  // namespace
}  // namespace rooflm
