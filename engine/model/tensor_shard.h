// tensor_shard(): one tensor-parallel rank's share of a model, Megatron-style. Column-parallel Q/K/V
// and gate/up projections, row-parallel o_proj and down (each followed by an all-reduce of its
// partial sums): a rank holds n_heads / N query heads, n_kv_heads / N KV heads and their KV cache
// (when N exceeds the KV heads, each rank holds one, replicated on N / n_kv_heads ranks: GQA groups
// stay whole), and ffn / N MLP columns. hidden, layers, vocab, the embedding, the norms and the LM
// head are whole on every rank (the LM head replicated, not vocab-parallel).
//
// The shard is itself a ModelConfig, the one the recipe writes a rank's ops with: the cost model,
// the memory model and the KV geometry count one GPU's bytes and FLOPs from it, so MBU and MFU are
// per GPU. At N = 1 it is the model.
#pragma once

#include <cstdint>

#include "engine/model/model_config.h"

namespace rooflm {

// Throws InputError naming engine.tensor_parallel, the model and the field when N cannot shard it:
// n_heads and ffn must divide by N, and N must divide n_kv_heads or be a multiple of it.
ModelConfig tensor_shard(const ModelConfig& model, int32_t ranks);

}  // namespace rooflm
