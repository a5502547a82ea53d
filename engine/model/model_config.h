// ModelConfig: the shape of a Llama-architecture decoder (GQA, SwiGLU, RMSNorm, RoPE) and the
// traits that tell its families apart (Llama-2/3: RoPE scaling; Qwen2: Q/K/V bias; Mistral: sliding
// window), from a built-in preset (`llama2-7b`, ..., `tiny`) or a Hugging Face config.json. The
// family's recipe (engine/model/families/) turns it into the ops of a step.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rope_table.h"

namespace rooflm {

// Model families rooflm has a recipe for (engine/model/families/). Hugging Face model_type
// "llama", "qwen2", "mistral".
enum class ModelFamily { llama, qwen2, mistral };
std::string_view family_name(ModelFamily family);  // "llama" | "qwen2" | "mistral"

struct ModelConfig {
  std::string name;            // preset name or the config.json's folder name
  ModelFamily family = ModelFamily::llama;
  int64_t hidden = 0;          // d_model
  int64_t n_layers = 0;
  int64_t n_heads = 0;         // query heads
  int64_t n_kv_heads = 0;      // key/value heads (GQA when < n_heads)
  int64_t head_dim = 0;        // usually hidden / n_heads
  int64_t ffn = 0;             // intermediate size of the SwiGLU MLP
  int64_t vocab = 0;
  int64_t max_positions = 0;   // max_position_embeddings
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;    // Llama-3.1/3.2 "llama3", "linear", or none
  double rms_eps = 1e-5;
  bool tied_embeddings = false;  // lm_head shares the embedding matrix
  bool qkv_bias = false;         // Q/K/V projections carry a bias (Qwen2)
  int64_t sliding_window = 0;    // attention sees the last `sliding_window` positions (Mistral); 0: all

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
