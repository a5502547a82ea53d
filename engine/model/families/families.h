// Model families and their recipes. Every family rooflm runs is a Llama-architecture decoder;
// what sets one apart is a trait of its ModelConfig that the one decoder recipe (llama.cpp) reads:
//   llama   Llama-2, Llama-3 / 3.1 / 3.2 (GQA, rope_scaling "llama3", tied embeddings on 3.2)
//   qwen2   Qwen2 / Qwen2.5: a bias on the Q/K/V projections (qkv_bias), rope theta 1e6
//   mistral Mistral: sliding-window attention (sliding_window)
// A family with another block structure (MoE, parallel attention/MLP, ...) gets its own recipe
// file here and a case in build_step_program().
#pragma once

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "engine/model/step_program.h"

namespace rooflm {

// The ops of one step of a Llama-architecture decoder for `variant`, in launch order.
std::vector<OpNode> llama_decoder_ops(const ModelConfig& model, const Variant& variant);

}  // namespace rooflm
