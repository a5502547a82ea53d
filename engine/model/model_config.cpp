// ModelConfig: parameter count, validation of impossible shapes, and the JSON form written into
// results (`rooflm list models`, results.json "model").
#include "engine/model/model_config.h"

#include <cmath>
#include <sstream>

#include "common/error.h"

namespace rooflm {

std::string_view family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::llama: return "llama";
    case ModelFamily::qwen2: return "qwen2";
    case ModelFamily::mistral: return "mistral";
  }
  return "?";
}

int64_t ModelConfig::n_params() const {
  const int64_t attention = hidden * q_dim()         // wq  [q_dim, hidden]
                            + 2 * hidden * kv_dim()  // wk, wv [kv_dim, hidden]
                            + q_dim() * hidden;      // wo  [hidden, q_dim]
  const int64_t mlp = 3 * hidden * ffn;              // w_gate, w_up [ffn, hidden]; w_down [hidden, ffn]
  const int64_t norms = 2 * hidden;                  // attn_norm, mlp_norm
  const int64_t per_layer = attention + mlp + norms;
  const int64_t embedding = vocab * hidden;
  const int64_t lm_head = tied_embeddings ? 0 : vocab * hidden;
  return embedding + n_layers * per_layer + hidden + lm_head;
}

namespace {

[[noreturn]] void throw_invalid(const ModelConfig& config, const std::string& what) {
  throw InputError("model '" + config.name + "': " + what);
}

void require_positive(const ModelConfig& config, const char* field, int64_t value) {
  if (value <= 0) throw_invalid(config, std::string(field) + " = " + std::to_string(value) + " must be positive");
}

void require_positive_finite(const ModelConfig& config, const char* field, double value) {
  if (!(value > 0) || !std::isfinite(value)) {
    std::ostringstream message;
    message << field << " = " << value << " must be a positive finite number";
    throw_invalid(config, message.str());
  }
}

}  // namespace

void ModelConfig::validate() const {
  require_positive(*this, "hidden", hidden);
  require_positive(*this, "n_layers", n_layers);
  require_positive(*this, "n_heads", n_heads);
  require_positive(*this, "n_kv_heads", n_kv_heads);
  require_positive(*this, "head_dim", head_dim);
  require_positive(*this, "ffn", ffn);
  require_positive(*this, "vocab", vocab);
  require_positive(*this, "max_positions", max_positions);
  if (n_heads % n_kv_heads != 0) {
    throw_invalid(*this, "n_heads = " + std::to_string(n_heads) + " is not a multiple of n_kv_heads = " +
                             std::to_string(n_kv_heads) + " (grouped-query attention needs whole groups)");
  }
  if (head_dim % 2 != 0) {
    throw_invalid(*this, "head_dim = " + std::to_string(head_dim) + " must be even (RoPE rotates pairs)");
  }
  require_positive_finite(*this, "rope_theta", rope_theta);
  require_positive_finite(*this, "rms_eps", rms_eps);
}

nlohmann::json ModelConfig::to_json() const {
  return {{"name", name},
          {"hidden", hidden},
          {"n_layers", n_layers},
          {"n_heads", n_heads},
          {"n_kv_heads", n_kv_heads},
          {"head_dim", head_dim},
          {"ffn", ffn},
          {"vocab", vocab},
          {"max_positions", max_positions},
          {"rope_theta", rope_theta},
          {"rms_eps", rms_eps},
          {"tied_embeddings", tied_embeddings},
          {"n_params", n_params()}};
}

}  // namespace rooflm
