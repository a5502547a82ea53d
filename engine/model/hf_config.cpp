// Reads a Hugging Face config.json (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) into a
// ModelConfig: model_type picks the family ("llama" when absent); what rooflm cannot run as that
// family's recipe (mixture of experts, an activation other than SiLU, biases other than Qwen2's
// Q/K/V ones, Qwen2's sliding window, per-layer attention types, rope types other than default /
// linear / llama3) is refused. Every error names the file and the JSON field.
#include "common/error.h"
#include "common/json_text.h"
#include "engine/model/hf_config_reader.h"
#include "engine/model/hf_rope_config.h"
#include "engine/model/model_config.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

nlohmann::json expect_object(nlohmann::json root, const fs::path& file) {
  if (!root.is_object()) throw InputError(file.string() + ": expected a JSON object at the top level");
  return root;
}

ModelFamily read_family(const HfConfigReader& reader) {
  if (!reader.has("model_type")) return ModelFamily::llama;
  const nlohmann::json& model_type = reader.at("model_type");
  if (model_type == "llama") return ModelFamily::llama;
  if (model_type == "mistral") return ModelFamily::mistral;
  if (model_type == "qwen2") return ModelFamily::qwen2;
  reader.fail("model_type " + model_type.dump() + " is not supported (supported: \"llama\", \"mistral\", \"qwen2\")");
}

// What the family's recipe does not run: refused rather than silently ignored.
void refuse_unsupported(const HfConfigReader& reader, ModelFamily family) {
  for (const char* experts : {"num_local_experts", "num_experts", "n_routed_experts"}) {
    if (reader.has(experts)) {
      reader.fail("field \"" + std::string(experts) + "\" = " + reader.at(experts).dump() +
                  ": mixture-of-experts models are not supported (dense MLP only)");
    }
  }
  const std::string act = reader.text_or("hidden_act", "silu");
  if (act != "silu")
    reader.fail("field \"hidden_act\" = \"" + act + "\" is not supported (only \"silu\": SwiGLU MLP)");
  if (family != ModelFamily::qwen2 && reader.boolean_or("attention_bias", false)) {
    reader.fail("field \"attention_bias\" = true is not supported for model_type \"" +
                std::string(family_name(family)) + "\" (only Qwen2's Q/K/V bias)");
  }
  if (reader.boolean_or("mlp_bias", false))
    reader.fail("field \"mlp_bias\" = true is not supported (MLP without bias)");
  if (family == ModelFamily::qwen2 && reader.boolean_or("use_sliding_window", false)) {
    reader.fail("field \"use_sliding_window\" = true is not supported for model_type \"qwen2\" (its window covers "
                "only the layers from max_window_layers; every layer attends to all positions here)");
  }
  if (reader.has("layer_types")) {
    const nlohmann::json& types = reader.at("layer_types");
    if (!types.is_array()) reader.fail("field \"layer_types\" must be an array, got " + types.dump());
    for (size_t i = 0; i < types.size(); ++i) {
      if (types[i] != "full_attention") {
        reader.fail("field \"layer_types\"[" + std::to_string(i) + "] = " + types[i].dump() +
                    " is not supported (only \"full_attention\"; a window is Mistral's \"sliding_window\")");
      }
    }
  }
}

}  // namespace

ModelConfig model_config_from_hf(const fs::path& path) {
  const fs::path file = fs::is_directory(path) ? path / "config.json" : path;
  if (!fs::is_regular_file(file))
    throw InputError(file.string() + ": no such file (expected a Hugging Face config.json)");
  return model_config_from_hf_text(read_text_file(file, kMaxSmallJsonFileBytes, "config.json"), file);
}

ModelConfig model_config_from_hf_text(const std::string& text, const fs::path& file) {
  const nlohmann::json root = expect_object(parse_json_text(text, file.string()), file);
  const HfConfigReader reader(file, root);

  ModelConfig config;
  config.family = read_family(reader);
  refuse_unsupported(reader, config.family);
  config.name = fs::weakly_canonical(file).parent_path().filename().string();
  config.hidden = reader.positive_integer("hidden_size");
  config.n_layers = reader.positive_integer("num_hidden_layers");
  config.n_heads = reader.positive_integer("num_attention_heads");
  config.n_kv_heads = reader.positive_integer_or("num_key_value_heads", config.n_heads);
  config.ffn = reader.positive_integer("intermediate_size");
  config.vocab = reader.positive_integer("vocab_size");
  config.max_positions = reader.positive_integer("max_position_embeddings");
  const HfRope rope = read_hf_rope(reader);
  config.rope_theta = rope.theta;
  config.rope_scaling = rope.scaling;
  config.rms_eps = reader.number("rms_norm_eps");
  config.tied_embeddings = reader.boolean_or("tie_word_embeddings", false);
  config.qkv_bias = config.family == ModelFamily::qwen2;
  if (config.family == ModelFamily::mistral) config.sliding_window = reader.positive_integer_or("sliding_window", 0);
  if (!reader.has("head_dim") && config.hidden % config.n_heads != 0) {
    reader.fail("hidden_size = " + std::to_string(config.hidden) + " is not a multiple of num_attention_heads = " +
                std::to_string(config.n_heads) + " and no head_dim is given");
  }
  config.head_dim = reader.positive_integer_or("head_dim", config.hidden / config.n_heads);
  try {
    config.validate();
  } catch (const InputError& error) {
    reader.fail(error.what());
  }
  return config;
}

}  // namespace rooflm
