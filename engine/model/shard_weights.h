// shard_weights(): one tensor-parallel rank's weights (tensor_shard.h), cut from the whole model's
// in the packed layout every backend stores: wqkv holds the rank's query heads, then its KV heads'
// k rows, then their v rows (bqkv likewise); wo the columns of its query heads; w_gate_up its
// ffn / N gate rows, then the same up rows; w_down the matching columns. Embedding, norms and LM
// head are copied whole.
#pragma once

#include <cstdint>

#include "engine/model/model_config.h"
#include "engine/model/weights.h"

namespace rooflm {

// The KV head rank `rank` of `ranks` holds first (tensor_shard: split, or one replicated head).
int64_t first_kv_head_of_rank(const ModelConfig& model, int32_t ranks, int32_t rank);

// `full` has `model`'s shapes; the result has tensor_shard(model, ranks)'s.
ModelWeights shard_weights(const ModelWeights& full, const ModelConfig& model, int32_t ranks, int32_t rank);

}  // namespace rooflm
