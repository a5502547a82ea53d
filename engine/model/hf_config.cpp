// Reads a Hugging Face config.json (LlamaForCausalLM / MistralForCausalLM) into a ModelConfig.
// Every error names the file and the JSON field.
#include <fstream>

#include "common/error.h"
#include "engine/model/model_config.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

class HfConfigReader {
 public:
  HfConfigReader(fs::path file, nlohmann::json root) : file_(std::move(file)), root_(std::move(root)) {}

  [[noreturn]] void fail(const std::string& what) const { throw InputError(file_.string() + ": " + what); }

  // Present and not null.
  bool has(const char* field) const { return root_.contains(field) && !root_.at(field).is_null(); }

  int64_t positive_integer(const char* field) const {
    if (!has(field)) fail("missing required field \"" + std::string(field) + "\"");
    return positive_integer_value(field);
  }
  int64_t positive_integer_or(const char* field, int64_t fallback) const {
    return has(field) ? positive_integer_value(field) : fallback;
  }

  double number(const char* field) const {
    if (!has(field)) fail("missing required field \"" + std::string(field) + "\"");
    return number_value(field);
  }
  double number_or(const char* field, double fallback) const { return has(field) ? number_value(field) : fallback; }

  bool boolean_or(const char* field, bool fallback) const {
    if (!has(field)) return fallback;
    const nlohmann::json& value = root_.at(field);
    if (!value.is_boolean()) fail("field \"" + std::string(field) + "\" must be true or false, got " + value.dump());
    return value.get<bool>();
  }

  const nlohmann::json& root() const { return root_; }

 private:
  int64_t positive_integer_value(const char* field) const {
    const nlohmann::json& value = root_.at(field);
    if (!value.is_number_integer()) fail("field \"" + std::string(field) + "\" must be an integer, got " + value.dump());
    const int64_t integer = value.get<int64_t>();
    if (integer <= 0) fail("field \"" + std::string(field) + "\" = " + std::to_string(integer) + " must be positive");
    return integer;
  }
  double number_value(const char* field) const {
    const nlohmann::json& value = root_.at(field);
    if (!value.is_number()) fail("field \"" + std::string(field) + "\" must be a number, got " + value.dump());
    return value.get<double>();
  }

  fs::path file_;
  nlohmann::json root_;
};

nlohmann::json parse_json_file(const fs::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) throw InputError(file.string() + ": cannot open for reading");
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(stream);
  } catch (const nlohmann::json::parse_error& error) {
    throw InputError(file.string() + ": not valid JSON: " + error.what());
  }
  if (!root.is_object()) throw InputError(file.string() + ": expected a JSON object at the top level");
  return root;
}

}  // namespace

ModelConfig model_config_from_hf(const fs::path& path) {
  const fs::path file = fs::is_directory(path) ? path / "config.json" : path;
  if (!fs::is_regular_file(file)) throw InputError(file.string() + ": no such file (expected a Hugging Face config.json)");
  const HfConfigReader reader(file, parse_json_file(file));

  if (reader.has("model_type")) {
    const nlohmann::json& model_type = reader.root().at("model_type");
    if (model_type != "llama" && model_type != "mistral") {
      reader.fail("model_type " + model_type.dump() + " is not supported (only \"llama\" and \"mistral\")");
    }
  }
  if (reader.has("rope_scaling")) {
    reader.fail("rope_scaling " + reader.root().at("rope_scaling").dump() +
                " is not supported (scaled RoPE is not implemented; only null)");
  }

  ModelConfig config;
  config.name = fs::weakly_canonical(file).parent_path().filename().string();
  config.hidden = reader.positive_integer("hidden_size");
  config.n_layers = reader.positive_integer("num_hidden_layers");
  config.n_heads = reader.positive_integer("num_attention_heads");
  config.n_kv_heads = reader.positive_integer_or("num_key_value_heads", config.n_heads);
  config.ffn = reader.positive_integer("intermediate_size");
  config.vocab = reader.positive_integer("vocab_size");
  config.max_positions = reader.positive_integer("max_position_embeddings");
  config.rope_theta = reader.number_or("rope_theta", 10000.0);
  config.rms_eps = reader.number("rms_norm_eps");
  config.tied_embeddings = reader.boolean_or("tie_word_embeddings", false);
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
