// read_hf_rope(): RoPE theta and scaling from a config.json, transformers 4 and 5 formats
// (engine/model/hf_rope_config.h).
#include "engine/model/hf_rope_config.h"

#include <sstream>

namespace rooflm {
namespace {

constexpr const char* kSupportedRopeTypes = "\"default\", \"linear\", \"llama3\"";

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// The rope type of a rope_scaling / rope_parameters object: "rope_type", or its older name "type".
std::string rope_type(const HfConfigReader& params) {
  if (params.has("rope_type") && params.has("type") && params.at("rope_type") != params.at("type")) {
    params.fail("fields " + params.quoted("rope_type") + " = " + params.at("rope_type").dump() + " and " +
                params.quoted("type") + " = " + params.at("type").dump() + " disagree");
  }
  return params.has("rope_type") ? params.text_or("rope_type", "") : params.text_or("type", "default");
}

RopeScaling read_scaling(const HfConfigReader& config, const HfConfigReader& params) {
  const std::string type = rope_type(params);
  RopeScaling scaling;
  if (type == "default") return scaling;
  if (type == "linear") {
    scaling.kind = RopeScaling::Kind::linear;
    scaling.factor = params.number("factor");
    return scaling;
  }
  if (type == "llama3") {
    scaling.kind = RopeScaling::Kind::llama3;
    scaling.factor = params.number("factor");
    scaling.low_freq_factor = params.number("low_freq_factor");
    scaling.high_freq_factor = params.number("high_freq_factor");
    // transformers 5 also reads a top-level original_max_position_embeddings (Phi-3 style).
    const bool top_level = !params.has("original_max_position_embeddings") &&
                           config.has("original_max_position_embeddings");
    scaling.original_max_positions = top_level ? config.positive_integer("original_max_position_embeddings")
                                               : params.positive_integer("original_max_position_embeddings");
    return scaling;
  }
  params.fail("field " + params.quoted(params.has("rope_type") ? "rope_type" : "type") + " = \"" + type +
              "\" is not supported (supported rope types: " + kSupportedRopeTypes + ")");
}

void require_full_rotary(const HfConfigReader& reader) {
  if (reader.has("partial_rotary_factor") && reader.number("partial_rotary_factor") != 1.0) {
    reader.fail("field " + reader.quoted("partial_rotary_factor") + " = " +
                number_text(reader.number("partial_rotary_factor")) +
                " is not supported (RoPE rotates the whole head: only 1)");
  }
}

}  // namespace

HfRope read_hf_rope(const HfConfigReader& config) {
  require_full_rotary(config);
  HfRope rope;
  rope.theta = config.number_or("rope_theta", rope.theta);
  const bool v4 = config.has("rope_scaling"), v5 = config.has("rope_parameters");
  if (v4 && v5) {
    config.fail("both \"rope_scaling\" (transformers 4) and \"rope_parameters\" (transformers 5) are given; "
                "expected one of them");
  }
  if (!v4 && !v5) return rope;
  const HfConfigReader params = config.object(v4 ? "rope_scaling" : "rope_parameters");
  for (const auto& [key, value] : params.json().items()) {
    if (value.is_object()) {
      params.fail("field " + params.quoted(key.c_str()) +
                  " is an object: per-layer-type rope parameters are not supported (one set for every layer)");
    }
  }
  require_full_rotary(params);
  if (params.has("rope_theta")) {
    const double inner = params.number("rope_theta");
    if (config.has("rope_theta") && rope.theta != inner) {
      params.fail("field " + params.quoted("rope_theta") + " = " + number_text(inner) +
                  " disagrees with \"rope_theta\" = " + number_text(rope.theta));
    }
    rope.theta = inner;
  }
  rope.scaling = read_scaling(config, params);
  return rope;
}

}  // namespace rooflm
