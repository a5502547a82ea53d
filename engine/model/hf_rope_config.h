// read_hf_rope(): the RoPE theta and scaling of a Hugging Face config.json in either format:
//   transformers <= 4.x: top-level "rope_theta" and "rope_scaling" (null, or {"rope_type" | "type":
//     "default" | "linear" {factor} | "llama3" {factor, low_freq_factor, high_freq_factor,
//     original_max_position_embeddings}});
//   transformers 5.x: "rope_parameters" {"rope_type", "rope_theta", ...the same keys}.
// Any other rope type (dynamic, yarn, longrope, ...) is an InputError naming the field and listing the
// supported types. Internal to engine/model/hf_*.cpp.
#pragma once

#include "common/rope_table.h"
#include "engine/model/hf_config_reader.h"

namespace rooflm {

struct HfRope {
  double theta = 10000.0;
  RopeScaling scaling;
};

HfRope read_hf_rope(const HfConfigReader& config);

}  // namespace rooflm
