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
  int64_t qkv_dim() const { return q_dim() + 2 * kv_dim(); }  // rows of the packed wqkv (and bqkv)
  // Number of parameters (embedding + layers incl. Q/K/V biases + final norm + lm_head unless tied).
  int64_t n_params() const;
  // Throws InputError naming the field when a value is impossible (zero, heads not dividing, a rope
  // scaling without its parameters, ...) or so large that byte counts could overflow int64 (limits
  // below).
  void validate() const;
  nlohmann::json to_json() const;
};

// Upper bounds validate() enforces, each >= 16x the largest published model's value, chosen so that
// every byte count rooflm forms from a valid config fits in int64: parameters < 2^56 (x 4 bytes in
// fp32 on the host), KV bytes of a max_positions sequence in fp32 <= 2 * 2^12 * 2^20 * 4 * 2^27 =
// 2^62.
inline constexpr int64_t kMaxModelWidth = int64_t(1) << 20;      // hidden, ffn, n_heads*head_dim
inline constexpr int64_t kMaxModelCount = int64_t(1) << 12;      // n_layers, n_heads, n_kv_heads, head_dim
inline constexpr int64_t kMaxModelVocab = int64_t(1) << 24;      // vocab
inline constexpr int64_t kMaxModelPositions = int64_t(1) << 27;  // max_positions, windows, original_max

// A model JSON written by an older rooflm (results.json "model", before the family traits) as this
// version writes it: absent "family", "rope_scaling", "qkv_bias", "sliding_window" get the values
// every model had then (llama, none, false, 0), so an older baseline compares equal to a new run of
// the same model. Anything that is not an object is returned as it is.
nlohmann::json model_json_now(const nlohmann::json& written);

// Built-in presets. Throws InputError listing the valid names when `name` is unknown.
ModelConfig model_preset(std::string_view name);
std::vector<std::string> model_preset_names();

// Reads a Hugging Face config.json (model_type "llama", "mistral", "qwen2"; rope in the transformers
// 4 or 5 format). `path` may be the file or the folder holding it. Throws InputError naming the file
// and the field, also for what the families' recipes do not run (MoE, other activations, biases
// other than Qwen2's Q/K/V, Qwen2's sliding window, rope types other than default/linear/llama3).
ModelConfig model_config_from_hf(const std::filesystem::path& path);
// The same from the text of a config.json; `file` names it in errors and its folder names the model.
ModelConfig model_config_from_hf_text(const std::string& text, const std::filesystem::path& file);

}  // namespace rooflm
