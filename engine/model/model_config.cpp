// ModelConfig: parameter count, validation of impossible shapes and family traits, and the JSON
// form written into results (`rooflm list models`, results.json "model").
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
  const int64_t bias = qkv_bias ? qkv_dim() : 0;     // bq [q_dim], bk, bv [kv_dim]
  const int64_t mlp = 3 * hidden * ffn;              // w_gate, w_up [ffn, hidden]; w_down [hidden, ffn]
  const int64_t norms = 2 * hidden;                  // attn_norm, mlp_norm
  const int64_t per_layer = attention + bias + mlp + norms;
  const int64_t embedding = vocab * hidden;
  const int64_t lm_head = tied_embeddings ? 0 : vocab * hidden;
  return embedding + n_layers * per_layer + hidden + lm_head;
}

namespace {

[[noreturn]] void throw_invalid(const ModelConfig& config, const std::string& what) {
  throw InputError("model '" + config.name + "': " + what);
}

// Positive and at most `limit`.
void require_positive(const ModelConfig& config, const std::string& field, int64_t value, int64_t limit) {
  if (value <= 0) throw_invalid(config, field + " = " + std::to_string(value) + " must be positive");
  if (value > limit)
    throw_invalid(config, field + " = " + std::to_string(value) + " exceeds the limit " + std::to_string(limit));
}

void require_positive_finite(const ModelConfig& config, const std::string& field, double value) {
  if (!(value > 0) || !std::isfinite(value)) {
    std::ostringstream message;
    message << field << " = " << value << " must be a positive finite number";
    throw_invalid(config, message.str());
  }
}

void validate_rope_scaling(const ModelConfig& config) {
  const RopeScaling& s = config.rope_scaling;
  if (s.kind == RopeScaling::Kind::none) return;
  require_positive_finite(config, "rope_scaling.factor", s.factor);
  if (s.kind != RopeScaling::Kind::llama3) return;
  require_positive(config, "rope_scaling.original_max_positions", s.original_max_positions, kMaxModelPositions);
  require_positive_finite(config, "rope_scaling.low_freq_factor", s.low_freq_factor);
  require_positive_finite(config, "rope_scaling.high_freq_factor", s.high_freq_factor);
  if (!(s.high_freq_factor > s.low_freq_factor)) {
    std::ostringstream message;
    message << "rope_scaling.high_freq_factor = " << s.high_freq_factor
            << " must be greater than rope_scaling.low_freq_factor = " << s.low_freq_factor
            << " (llama3 rope scaling interpolates between them)";
    throw_invalid(config, message.str());
  }
}

}  // namespace

void ModelConfig::validate() const {
  require_positive(*this, "hidden", hidden, kMaxModelWidth);
  require_positive(*this, "n_layers", n_layers, kMaxModelCount);
  require_positive(*this, "n_heads", n_heads, kMaxModelCount);
  require_positive(*this, "n_kv_heads", n_kv_heads, kMaxModelCount);
  require_positive(*this, "head_dim", head_dim, kMaxModelCount);
  require_positive(*this, "n_heads*head_dim", q_dim(), kMaxModelWidth);
  require_positive(*this, "ffn", ffn, kMaxModelWidth);
  require_positive(*this, "vocab", vocab, kMaxModelVocab);
  require_positive(*this, "max_positions", max_positions, kMaxModelPositions);
  if (n_heads % n_kv_heads != 0) {
    throw_invalid(*this, "n_heads = " + std::to_string(n_heads) + " is not a multiple of n_kv_heads = " +
                             std::to_string(n_kv_heads) + " (grouped-query attention needs whole groups)");
  }
  if (head_dim % 2 != 0) {
    throw_invalid(*this, "head_dim = " + std::to_string(head_dim) + " must be even (RoPE rotates pairs)");
  }
  require_positive_finite(*this, "rope_theta", rope_theta);
  require_positive_finite(*this, "rms_eps", rms_eps);
  validate_rope_scaling(*this);
  if (sliding_window < 0 || sliding_window > kMaxModelPositions) {
    throw_invalid(*this, "sliding_window = " + std::to_string(sliding_window) + " must be 0 (none) or a window of 1.." +
                             std::to_string(kMaxModelPositions) + " positions");
  }
}

namespace {

nlohmann::json rope_scaling_json(const RopeScaling& s) {
  nlohmann::json json = {{"type", rope_scaling_kind_name(s.kind)}};
  if (s.kind != RopeScaling::Kind::none) json["factor"] = s.factor;
  if (s.kind == RopeScaling::Kind::llama3) {
    json["low_freq_factor"] = s.low_freq_factor;
    json["high_freq_factor"] = s.high_freq_factor;
    json["original_max_positions"] = s.original_max_positions;
  }
  return json;
}

}  // namespace

nlohmann::json ModelConfig::to_json() const {
  return {{"name", name},
          {"family", family_name(family)},
          {"hidden", hidden},
          {"n_layers", n_layers},
          {"n_heads", n_heads},
          {"n_kv_heads", n_kv_heads},
          {"head_dim", head_dim},
          {"ffn", ffn},
          {"vocab", vocab},
          {"max_positions", max_positions},
          {"rope_theta", rope_theta},
          {"rope_scaling", rope_scaling_json(rope_scaling)},
          {"rms_eps", rms_eps},
          {"tied_embeddings", tied_embeddings},
          {"qkv_bias", qkv_bias},
          {"sliding_window", sliding_window},
          {"n_params", n_params()}};
}

nlohmann::json model_json_now(const nlohmann::json& written) {
  if (!written.is_object()) return written;
  nlohmann::json now = written;
  const ModelConfig defaults;
  if (!now.contains("family")) now["family"] = family_name(defaults.family);
  if (!now.contains("rope_scaling")) now["rope_scaling"] = rope_scaling_json(defaults.rope_scaling);
  if (!now.contains("qkv_bias")) now["qkv_bias"] = defaults.qkv_bias;
  if (!now.contains("sliding_window")) now["sliding_window"] = defaults.sliding_window;
  return now;
}

}  // namespace rooflm
