// Memory footprint of a model on a GPU: weight bytes at a precision, KV-cache bytes per token and
// per sequence, and the largest batch whose KV cache fits beside the weights.
#pragma once

#include <cstdint>

#include "engine/model/model_config.h"
#include "engine/roofline/gpu_spec.h"
#include "engine/model/precision.h"

namespace rooflm {

// Share of device memory kept out of the KV budget: the CUDA context and cuBLAS workspace (~0.5 GiB),
// one step's activations (tens to hundreds of MiB for decode batches and prompt chunks) and allocator
// slack. vLLM's default gpu_memory_utilization of 0.9 keeps 10%; 5% is the optimistic end.
inline constexpr double kMemoryReserveFraction = 0.05;

// Bytes of every weight: transformer-layer linear weights at precision.weight_bytes() plus their
// scales when quantised (precision.weight_scales: per output channel, per group of inputs, or one
// per stored tensor); embedding, norms, Q/K/V biases (Qwen2; never quantised) and LM head (absent
// when tied) in fp16.
int64_t model_weight_bytes(const ModelConfig& model, const PrecisionDtypes& precision);

// K and V of one token over all layers: 2 * n_layers * n_kv_heads * head_dim * kv_bytes, plus for a
// quantised KV dtype (int8, fp8) 2 * n_layers * n_kv_heads fp32 scales (KvGeometry::bytes_per_token).
int64_t kv_bytes_per_token(const ModelConfig& model, const PrecisionDtypes& precision);

// KV bytes of one sequence of `tokens` tokens.
int64_t kv_bytes_per_sequence(const ModelConfig& model, const PrecisionDtypes& precision, int64_t tokens);

// Largest number of sequences of `tokens` tokens each whose KV fits in
// gpu.memory_bytes * (1 - kMemoryReserveFraction) - weights; 0 when even the weights do not fit.
int64_t max_batch_that_fits(const ModelConfig& model, const PrecisionDtypes& precision, const GpuSpec& gpu,
                            int64_t tokens);

}  // namespace rooflm
