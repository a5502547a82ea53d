// Built-in model presets with the published shapes of each checkpoint's config.json, plus `tiny`
// for CI. Unknown names are answered with the valid list and the nearest name.
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
  int64_t hidden, n_layers, n_heads, n_kv_heads, head_dim, ffn, vocab, max_positions;
  double rope_theta;
};

// head_dim 0 means hidden / n_heads. Every preset: rms_eps 1e-5, untied embeddings.
constexpr std::array kPresets = {
    PresetShape{"llama2-7b", 4096, 32, 32, 32, 0, 11008, 32000, 4096, 1e4},
    PresetShape{"llama2-13b", 5120, 40, 40, 40, 0, 13824, 32000, 4096, 1e4},
    PresetShape{"llama2-70b", 8192, 80, 64, 8, 0, 28672, 32000, 4096, 1e4},
    PresetShape{"llama3-8b", 4096, 32, 32, 8, 0, 14336, 128256, 8192, 5e5},
    PresetShape{"llama3-70b", 8192, 80, 64, 8, 0, 28672, 128256, 8192, 5e5},
    PresetShape{"mistral-7b", 4096, 32, 32, 8, 0, 14336, 32768, 32768, 1e6},  // v0.3
    PresetShape{"tiny", 256, 4, 4, 2, 64, 768, 2048, 2048, 1e4},
};

}  // namespace

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const PresetShape& preset : kPresets) names.emplace_back(preset.name);
  return names;
}

ModelConfig model_preset(std::string_view name) {
  for (const PresetShape& preset : kPresets) {
    if (name != preset.name) continue;
    ModelConfig config;
    config.name = preset.name;
    config.hidden = preset.hidden;
    config.n_layers = preset.n_layers;
    config.n_heads = preset.n_heads;
    config.n_kv_heads = preset.n_kv_heads;
    config.head_dim = preset.head_dim != 0 ? preset.head_dim : preset.hidden / preset.n_heads;
    config.ffn = preset.ffn;
    config.vocab = preset.vocab;
    config.max_positions = preset.max_positions;
    config.rope_theta = preset.rope_theta;
    config.rms_eps = 1e-5;
    config.tied_embeddings = false;
    return config;
  }
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
