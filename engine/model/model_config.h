// ModelConfig: the shape of a Llama-family decoder (GQA, SwiGLU, RMSNorm, RoPE), from a built-in
// preset (`llama2-7b`, ..., `tiny`) or a Hugging Face config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

struct ModelConfig {
  std::string name;            // preset name or the config.json's folder name
  int64_t hidden = 0;          // d_model
  int64_t n_layers = 0;
  int64_t n_heads = 0;         // query heads
  int64_t n_kv_heads = 0;      // key/value heads (GQA when < n_heads)
  int64_t head_dim = 0;        // usually hidden / n_heads
  int64_t ffn = 0;             // intermediate size of the SwiGLU MLP
  int64_t vocab = 0;
  int64_t max_positions = 0;   // max_position_embeddings
  double rope_theta = 10000.0;
  double rms_eps = 1e-5;
  bool tied_embeddings = false;  // lm_head shares the embedding matrix

  int64_t q_dim() const { return n_heads * head_dim; }
  int64_t kv_dim() const { return n_kv_heads * head_dim; }
  // Number of parameters (embedding + layers + final norm + lm_head unless tied).
  int64_t n_params() const;
  // Throws InputError naming the field when a value is impossible (zero, heads not dividing, ...).
  void validate() const;
  nlohmann::json to_json() const;
};

// Built-in presets. Throws InputError listing the valid names when `name` is unknown.
ModelConfig model_preset(std::string_view name);
std::vector<std::string> model_preset_names();

// Reads a Hugging Face config.json (LlamaForCausalLM / MistralForCausalLM fields). `path` may be
// the file or the folder holding it. Throws InputError naming the file and the field.
ModelConfig model_config_from_hf(const std::filesystem::path& path);

}  // namespace rooflm
