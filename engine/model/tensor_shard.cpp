// tensor_shard: the per-rank heads and MLP columns of a Megatron tensor-parallel split.
#include "engine/model/tensor_shard.h"

#include <string>

#include "common/error.h"

namespace rooflm {

ModelConfig tensor_shard(const ModelConfig& model, int32_t ranks) {
  const std::string where = "engine.tensor_parallel = " + std::to_string(ranks) + ": model " + model.name + " ";
  if (ranks < 1) throw InputError(where + "needs at least one rank");
  if (ranks == 1) return model;
  if (model.n_heads % ranks != 0)
    throw InputError(where + "has n_heads = " + std::to_string(model.n_heads) + ", not a multiple of " +
                     std::to_string(ranks) + " (each rank holds whole query heads)");
  if (model.ffn % ranks != 0)
    throw InputError(where + "has ffn = " + std::to_string(model.ffn) + ", not a multiple of " + std::to_string(ranks) +
                     " (each rank holds ffn / N columns of gate/up and rows of down)");
  if (model.n_kv_heads % ranks != 0 && ranks % model.n_kv_heads != 0)
    throw InputError(where + "has n_kv_heads = " + std::to_string(model.n_kv_heads) + ": " + std::to_string(ranks) +
                     " ranks must divide it or be a multiple of it (KV heads split, or replicated in whole groups)");
  ModelConfig shard = model;
  shard.n_heads = model.n_heads / ranks;
  shard.n_kv_heads = model.n_kv_heads >= ranks ? model.n_kv_heads / ranks : 1;
  shard.ffn = model.ffn / ranks;
  return shard;
}

}  // namespace rooflm
