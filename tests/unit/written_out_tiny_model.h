// The `tiny` preset written out field by field, so hand-counted expectations (FLOPs, bytes) do not
// depend on the preset table.
#pragma once

#include "engine/model/model_config.h"

namespace rooflm::test {

inline ModelConfig written_out_tiny_model() {
  ModelConfig model;
  model.name = "tiny";
  model.hidden = 256;
  model.n_layers = 4;
  model.n_heads = 4;
  model.n_kv_heads = 2;
  model.head_dim = 64;
  model.ffn = 768;
  model.vocab = 2048;
  model.max_positions = 2048;
  return model;
}

}  // namespace rooflm::test
