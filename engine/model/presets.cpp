// Built-in model presets with the published values of each checkpoint's config.json (shape, family,
// RoPE theta and scaling, Q/K/V bias, sliding window, rms_norm_eps, tied embeddings), plus small CI
// models, one per family (`tiny`, `tiny-llama3`, `tiny-qwen2`, `tiny-mistral`). Unknown names are
// answered with the valid list and the nearest name.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/edit_distance.h"
#include "engine/model/model_config.h"

namespace rooflm {
namespace {

struct PresetShape {
  const char* name;
  ModelFamily family = ModelFamily::llama;
  int64_t hidden = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0;
  int64_t head_dim = 0;  // 0: hidden / n_heads
  int64_t ffn = 0, vocab = 0, max_positions = 0;
  double rope_theta = 1e4;
  RopeScaling rope_scaling = {};
  double rms_eps = 1e-5;
  bool tied_embeddings = false;
  bool qkv_bias = false;
  int64_t sliding_window = 0;
};

constexpr RopeScaling llama3_rope(double factor, int64_t original_max_positions) {
  return {.kind = RopeScaling::Kind::llama3,
          .factor = factor,
          .low_freq_factor = 1.0,
          .high_freq_factor = 4.0,
          .original_max_positions = original_max_positions};
}

constexpr ModelFamily llama = ModelFamily::llama, qwen2 = ModelFamily::qwen2, mistral = ModelFamily::mistral;

// The CI models keep the CUDA kernels' limits (hidden and ffn multiples of 8, head_dim 64 or 128)
// and stay fast on the CPU (hidden <= 256, <= 4 layers, vocab <= 4096).
constexpr std::array kPresets = {
    // Llama-2 (meta-llama/Llama-2-*-hf).
    PresetShape{.name = "llama2-7b", .family = llama, .hidden = 4096, .n_layers = 32, .n_heads = 32,
                .n_kv_heads = 32, .ffn = 11008, .vocab = 32000, .max_positions = 4096},
    PresetShape{.name = "llama2-13b", .family = llama, .hidden = 5120, .n_layers = 40, .n_heads = 40,
                .n_kv_heads = 40, .ffn = 13824, .vocab = 32000, .max_positions = 4096},
    PresetShape{.name = "llama2-70b", .family = llama, .hidden = 8192, .n_layers = 80, .n_heads = 64,
                .n_kv_heads = 8, .ffn = 28672, .vocab = 32000, .max_positions = 4096},
    // Llama-3 (meta-llama/Meta-Llama-3-*): no rope scaling.
    PresetShape{.name = "llama3-8b", .family = llama, .hidden = 4096, .n_layers = 32, .n_heads = 32,
                .n_kv_heads = 8, .ffn = 14336, .vocab = 128256, .max_positions = 8192, .rope_theta = 5e5},
    PresetShape{.name = "llama3-70b", .family = llama, .hidden = 8192, .n_layers = 80, .n_heads = 64,
                .n_kv_heads = 8, .ffn = 28672, .vocab = 128256, .max_positions = 8192, .rope_theta = 5e5},
    // Llama-3.1 (meta-llama/Llama-3.1-*): llama3 rope scaling, factor 8 over the original 8192.
    PresetShape{.name = "llama3.1-8b", .family = llama, .hidden = 4096, .n_layers = 32, .n_heads = 32,
                .n_kv_heads = 8, .ffn = 14336, .vocab = 128256, .max_positions = 131072, .rope_theta = 5e5,
                .rope_scaling = llama3_rope(8.0, 8192)},
    PresetShape{.name = "llama3.1-70b", .family = llama, .hidden = 8192, .n_layers = 80, .n_heads = 64,
                .n_kv_heads = 8, .ffn = 28672, .vocab = 128256, .max_positions = 131072, .rope_theta = 5e5,
                .rope_scaling = llama3_rope(8.0, 8192)},
    // Llama-3.2 (meta-llama/Llama-3.2-*): factor 32, tied embeddings.
    PresetShape{.name = "llama3.2-1b", .family = llama, .hidden = 2048, .n_layers = 16, .n_heads = 32,
                .n_kv_heads = 8, .head_dim = 64, .ffn = 8192, .vocab = 128256, .max_positions = 131072,
                .rope_theta = 5e5, .rope_scaling = llama3_rope(32.0, 8192), .tied_embeddings = true},
    PresetShape{.name = "llama3.2-3b", .family = llama, .hidden = 3072, .n_layers = 28, .n_heads = 24,
                .n_kv_heads = 8, .head_dim = 128, .ffn = 8192, .vocab = 128256, .max_positions = 131072,
                .rope_theta = 5e5, .rope_scaling = llama3_rope(32.0, 8192), .tied_embeddings = true},
    // Qwen2.5 (Qwen/Qwen2.5-*, base models): Q/K/V bias, rms_norm_eps 1e-6, use_sliding_window false.
    PresetShape{.name = "qwen2.5-0.5b", .family = qwen2, .hidden = 896, .n_layers = 24, .n_heads = 14,
                .n_kv_heads = 2, .ffn = 4864, .vocab = 151936, .max_positions = 32768, .rope_theta = 1e6,
                .rms_eps = 1e-6, .tied_embeddings = true, .qkv_bias = true},
    PresetShape{.name = "qwen2.5-7b", .family = qwen2, .hidden = 3584, .n_layers = 28, .n_heads = 28,
                .n_kv_heads = 4, .ffn = 18944, .vocab = 152064, .max_positions = 131072, .rope_theta = 1e6,
                .rms_eps = 1e-6, .qkv_bias = true},
    // Mistral (mistralai/Mistral-7B-v0.1: 4096-token sliding window; v0.3: none, larger vocab, theta 1e6).
    PresetShape{.name = "mistral-7b", .family = mistral, .hidden = 4096, .n_layers = 32, .n_heads = 32,
                .n_kv_heads = 8, .ffn = 14336, .vocab = 32000, .max_positions = 32768, .sliding_window = 4096},
    PresetShape{.name = "mistral-7b-v0.3", .family = mistral, .hidden = 4096, .n_layers = 32, .n_heads = 32,
                .n_kv_heads = 8, .ffn = 14336, .vocab = 32768, .max_positions = 32768, .rope_theta = 1e6},
    // CI models. `tiny` is frozen: its greedy tokens are a regression guard.
    PresetShape{.name = "tiny", .family = llama, .hidden = 256, .n_layers = 4, .n_heads = 4, .n_kv_heads = 2,
                .head_dim = 64, .ffn = 768, .vocab = 2048, .max_positions = 2048},
    // GQA 4/1; llama3 scaling over an original 64 positions: with theta 5e5 and head_dim 64 the
    // wavelengths 2*pi*5e5^(i/32) put pairs 0-2 in the kept band (< 16), 3-5 in the smoothed one
    // (16..64) and 6-31 in the divided one (> 64), so the scaling changes angles from position 1.
    PresetShape{.name = "tiny-llama3", .family = llama, .hidden = 256, .n_layers = 4, .n_heads = 4,
                .n_kv_heads = 1, .head_dim = 64, .ffn = 512, .vocab = 2048, .max_positions = 2048,
                .rope_theta = 5e5, .rope_scaling = llama3_rope(8.0, 64), .tied_embeddings = true},
    // head_dim 128 (2 query heads, 1 KV head), Q/K/V bias.
    PresetShape{.name = "tiny-qwen2", .family = qwen2, .hidden = 256, .n_layers = 3, .n_heads = 2,
                .n_kv_heads = 1, .head_dim = 128, .ffn = 640, .vocab = 2048, .max_positions = 4096,
                .rope_theta = 1e6, .rms_eps = 1e-6, .tied_embeddings = true, .qkv_bias = true},
    // A 16-position window, so prompts and generations of CI scenarios run past it.
    PresetShape{.name = "tiny-mistral", .family = mistral, .hidden = 256, .n_layers = 4, .n_heads = 4,
                .n_kv_heads = 2, .head_dim = 64, .ffn = 768, .vocab = 2048, .max_positions = 2048,
                .sliding_window = 16},
};

ModelConfig config_of(const PresetShape& preset) {
  ModelConfig config;
  config.name = preset.name;
  config.family = preset.family;
  config.hidden = preset.hidden;
  config.n_layers = preset.n_layers;
  config.n_heads = preset.n_heads;
  config.n_kv_heads = preset.n_kv_heads;
  config.head_dim = preset.head_dim != 0 ? preset.head_dim : preset.hidden / preset.n_heads;
  config.ffn = preset.ffn;
  config.vocab = preset.vocab;
  config.max_positions = preset.max_positions;
  config.rope_theta = preset.rope_theta;
  config.rope_scaling = preset.rope_scaling;
  config.rms_eps = preset.rms_eps;
  config.tied_embeddings = preset.tied_embeddings;
  config.qkv_bias = preset.qkv_bias;
  config.sliding_window = preset.sliding_window;
  return config;
}

}  // namespace

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const PresetShape& preset : kPresets) names.emplace_back(preset.name);
  return names;
}

ModelConfig model_preset(std::string_view name) {
  for (const PresetShape& preset : kPresets)
    if (name == preset.name) return config_of(preset);
  std::string valid, nearest;
  size_t nearest_distance = SIZE_MAX;
  for (const PresetShape& preset : kPresets) {
    valid += (valid.empty() ? "" : ", ") + std::string(preset.name);
    const size_t distance = edit_distance(name, preset.name);
    if (distance < nearest_distance) {
      nearest_distance = distance;
      nearest = preset.name;
    }
  }
  throw InputError("unknown model preset '" + std::string(name) + "' (valid: " + valid + "); did you mean '" +
                   nearest + "'?");
}

}  // namespace rooflm
