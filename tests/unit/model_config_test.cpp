// Tests of ModelConfig: preset shapes and parameter counts against the published figures,
// validation errors, JSON form, and reading Hugging Face config.json files.
#include <cmath>
#include <functional>
#include <limits>

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/model/model_config.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

using test::TempDir;
using test::write_text_file;

using test::input_error_message;

TEST(ModelConfigTest, PresetParamCountsMatchPublishedWithinOnePercent) {
  const std::vector<std::pair<std::string, double>> published = {
      {"llama2-7b", 6.74e9},  {"llama2-13b", 13.0e9}, {"llama2-70b", 69.0e9},
      {"llama3-8b", 8.03e9},  {"llama3-70b", 70.6e9}, {"mistral-7b", 7.25e9},
  };
  for (const auto& [name, count] : published) {
    const double n_params = static_cast<double>(model_preset(name).n_params());
    EXPECT_NEAR(n_params / count, 1.0, 0.01) << name << ": " << n_params;
  }
}

TEST(ModelConfigTest, Llama2SevenBillionExactParamCount) {
  // 32000*4096 embedding + 32 * (4*4096^2 attention + 3*4096*11008 MLP + 2*4096 norms)
  // + 4096 final norm + 32000*4096 lm_head = 6,738,415,616 (the Hugging Face count).
  EXPECT_EQ(model_preset("llama2-7b").n_params(), 6'738'415'616);
}

TEST(ModelConfigTest, TinyPresetShapeAndHandCountedParams) {
  ModelConfig tiny = model_preset("tiny");
  EXPECT_EQ(tiny.hidden, 256);
  EXPECT_EQ(tiny.n_layers, 4);
  EXPECT_EQ(tiny.n_heads, 4);
  EXPECT_EQ(tiny.n_kv_heads, 2);
  EXPECT_EQ(tiny.head_dim, 64);
  EXPECT_EQ(tiny.q_dim(), 256);
  EXPECT_EQ(tiny.kv_dim(), 128);
  EXPECT_FALSE(tiny.tied_embeddings);
  // per layer: q,o 2*256*256 + k,v 2*128*256 = 196608; MLP 3*256*768 = 589824; norms 512 -> 786944.
  // 4 layers 3147776 + embedding 524288 + final norm 256 + lm_head 524288 = 4196608.
  EXPECT_EQ(tiny.n_params(), 4'196'608);
  EXPECT_LT(tiny.n_params(), 5'000'000);
  tiny.tied_embeddings = true;
  EXPECT_EQ(tiny.n_params(), 4'196'608 - 524'288);
}

TEST(ModelConfigTest, PresetFieldsArePublishedValues) {
  const ModelConfig llama3 = model_preset("llama3-8b");
  EXPECT_EQ(llama3.name, "llama3-8b");
  EXPECT_EQ(llama3.n_kv_heads, 8);
  EXPECT_EQ(llama3.head_dim, 128);
  EXPECT_EQ(llama3.vocab, 128256);
  EXPECT_EQ(llama3.max_positions, 8192);
  EXPECT_EQ(llama3.rope_theta, 5e5);
  EXPECT_EQ(llama3.rms_eps, 1e-5);
  const ModelConfig mistral = model_preset("mistral-7b");
  EXPECT_EQ(mistral.vocab, 32768);
  EXPECT_EQ(mistral.max_positions, 32768);
  EXPECT_EQ(mistral.rope_theta, 1e6);
  const ModelConfig llama70 = model_preset("llama2-70b");
  EXPECT_EQ(llama70.n_heads, 64);
  EXPECT_EQ(llama70.n_kv_heads, 8);
  EXPECT_EQ(llama70.ffn, 28672);
  EXPECT_EQ(llama70.rope_theta, 1e4);
  for (const std::string& name : model_preset_names()) {
    const ModelConfig config = model_preset(name);
    EXPECT_NO_THROW(config.validate()) << name;
    EXPECT_EQ(config.name, name);
  }
  EXPECT_EQ(model_preset_names().size(), 7u);
}

TEST(ModelConfigTest, UnknownPresetListsNamesAndSuggestsNearest) {
  const std::string message = input_error_message([] { model_preset("llama2-7"); });
  EXPECT_NE(message.find("'llama2-7'"), std::string::npos) << message;
  EXPECT_NE(message.find("tiny"), std::string::npos) << message;
  EXPECT_NE(message.find("mistral-7b"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'llama2-7b'"), std::string::npos) << message;
  EXPECT_NE(input_error_message([] { model_preset("mistral7b"); }).find("did you mean 'mistral-7b'"),
            std::string::npos);
}

TEST(ModelConfigTest, ValidateNamesTheBadField) {
  struct Case {
    std::function<void(ModelConfig&)> break_config;
    std::string expected_text;
  };
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
  };
  for (const Case& test_case : cases) {
    ModelConfig config = model_preset("tiny");
    test_case.break_config(config);
    const std::string message = input_error_message([&] { config.validate(); });
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << message;
    EXPECT_NE(message.find("'tiny'"), std::string::npos) << message;
  }
}

TEST(ModelConfigTest, ToJsonHasEveryField) {
  const nlohmann::json json = model_preset("tiny").to_json();
  EXPECT_EQ(json.at("name"), "tiny");
  EXPECT_EQ(json.at("hidden"), 256);
  EXPECT_EQ(json.at("n_layers"), 4);
  EXPECT_EQ(json.at("n_heads"), 4);
  EXPECT_EQ(json.at("n_kv_heads"), 2);
  EXPECT_EQ(json.at("head_dim"), 64);
  EXPECT_EQ(json.at("ffn"), 768);
  EXPECT_EQ(json.at("vocab"), 2048);
  EXPECT_EQ(json.at("max_positions"), 2048);
  EXPECT_EQ(json.at("rope_theta"), 1e4);
  EXPECT_EQ(json.at("rms_eps"), 1e-5);
  EXPECT_EQ(json.at("tied_embeddings"), false);
  EXPECT_EQ(json.at("n_params"), 4'196'608);
}

// ---- Hugging Face config.json ----

// A Llama-3-8B-like config.json (abridged from the published file).
nlohmann::json llama3_hf_config() {
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
          {"tie_word_embeddings", false},
          {"torch_dtype", "bfloat16"}};
}

TEST(HfConfigTest, RoundTripFromFolderAndFile) {
  TempDir dir;
  const auto folder = dir.path() / "Meta-Llama-3-8B";
  write_text_file(folder / "config.json", llama3_hf_config().dump(2));
  for (const auto& path : {folder, folder / "config.json", std::filesystem::path(folder.string() + "/")}) {
    const ModelConfig config = model_config_from_hf(path);
    EXPECT_EQ(config.name, "Meta-Llama-3-8B") << path;
    EXPECT_EQ(config.hidden, 4096);
    EXPECT_EQ(config.n_layers, 32);
    EXPECT_EQ(config.n_heads, 32);
    EXPECT_EQ(config.n_kv_heads, 8);
    EXPECT_EQ(config.head_dim, 128);
    EXPECT_EQ(config.ffn, 14336);
    EXPECT_EQ(config.vocab, 128256);
    EXPECT_EQ(config.max_positions, 8192);
    EXPECT_EQ(config.rope_theta, 5e5);
    EXPECT_EQ(config.rms_eps, 1e-5);
    EXPECT_FALSE(config.tied_embeddings);
    EXPECT_EQ(config.n_params(), model_preset("llama3-8b").n_params());
  }
}

TEST(HfConfigTest, DefaultsAndExplicitHeadDim) {
  TempDir dir;
  nlohmann::json json = llama3_hf_config();
  json.erase("num_key_value_heads");
  json.erase("rope_theta");
  json.erase("tie_word_embeddings");
  json["head_dim"] = nullptr;
  write_text_file(dir.path() / "config.json", json.dump());
  ModelConfig config = model_config_from_hf(dir.path());
  EXPECT_EQ(config.n_kv_heads, 32);
  EXPECT_EQ(config.rope_theta, 1e4);
  EXPECT_FALSE(config.tied_embeddings);
  EXPECT_EQ(config.head_dim, 128);

  json["head_dim"] = 64;  // q_dim 2048 != hidden, as in some Mistral derivatives
  json["tie_word_embeddings"] = true;
  write_text_file(dir.path() / "config.json", json.dump());
  config = model_config_from_hf(dir.path());
  EXPECT_EQ(config.head_dim, 64);
  EXPECT_EQ(config.q_dim(), 2048);
  EXPECT_TRUE(config.tied_embeddings);
}

// Writes `json` as config.json and returns the error message reading it produces.
std::string hf_error(const TempDir& dir, const nlohmann::json& json) {
  write_text_file(dir.path() / "config.json", json.dump());
  return input_error_message([&] { model_config_from_hf(dir.path()); });
}

TEST(HfConfigTest, MissingRequiredFieldNamesFileAndField) {
  TempDir dir;
  for (const char* field : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                            "vocab_size", "max_position_embeddings", "rms_norm_eps"}) {
    nlohmann::json json = llama3_hf_config();
    json.erase(field);
    const std::string message = hf_error(dir, json);
    EXPECT_NE(message.find("config.json"), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("missing required field \"") + field + "\""), std::string::npos) << message;
  }
}

TEST(HfConfigTest, WrongTypesAndValuesNameFileAndField) {
  TempDir dir;
  struct Case {
    const char* field;
    nlohmann::json value;
    std::string expected_text;
  };
  const std::vector<Case> cases = {
      {"hidden_size", "4096", "\"hidden_size\" must be an integer"},
      {"num_hidden_layers", 32.5, "\"num_hidden_layers\" must be an integer"},
      {"num_key_value_heads", 0, "\"num_key_value_heads\" = 0 must be positive"},
      {"vocab_size", -1, "\"vocab_size\" = -1 must be positive"},
      {"rms_norm_eps", "1e-5", "\"rms_norm_eps\" must be a number"},
      {"rope_theta", true, "\"rope_theta\" must be a number"},
      {"tie_word_embeddings", "yes", "\"tie_word_embeddings\" must be true or false"},
      {"head_dim", 127, "head_dim = 127 must be even"},
      {"num_key_value_heads", 5, "n_heads = 32 is not a multiple of n_kv_heads = 5"},
      {"num_attention_heads", 30, "hidden_size = 4096 is not a multiple of num_attention_heads = 30"},
      {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}, "rope_scaling"},
      {"model_type", "qwen2", "model_type \"qwen2\" is not supported"},
  };
  for (const Case& test_case : cases) {
    nlohmann::json json = llama3_hf_config();
    json[test_case.field] = test_case.value;
    const std::string message = hf_error(dir, json);
    EXPECT_NE(message.find((dir.path() / "config.json").string()), std::string::npos) << message;
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << message;
  }
}

TEST(HfConfigTest, UnreadableFilesNameTheFile) {
  TempDir dir;
  EXPECT_NE(input_error_message([&] { model_config_from_hf(dir.path()); }).find("config.json: no such file"),
            std::string::npos);
  write_text_file(dir.path() / "config.json", "{\"hidden_size\": 4096,");
  EXPECT_NE(input_error_message([&] { model_config_from_hf(dir.path()); }).find("config.json: not valid JSON"),
            std::string::npos);
  write_text_file(dir.path() / "config.json", "[4096]");
  EXPECT_NE(input_error_message([&] { model_config_from_hf(dir.path()); }).find("config.json: expected a JSON object"),
            std::string::npos);
}

}  // namespace
}  // namespace rooflm
