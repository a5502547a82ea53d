// The "quantization_config" of a Hugging Face config.json, as compressed-tensors / llm-compressor
// write it beside a pre-quantised checkpoint: read only to cross-check the checkpoint's tensors
// (prequantized_weights.h); the tensors themselves say how each weight is stored.
// Accepted: "quant_method": "compressed-tensors", "format": "int-quantized" | "float-quantized" |
// "naive-quantized", and "config_groups" whose "weights" entries all give one scheme:
//   {"num_bits": 8, "type": "int" (I8 codes) | "float" (F8_E4M3 codes),
//    "strategy": "tensor" | "channel" | "group" (then "group_size", int only), "symmetric": true}
// Anything else is an InputError naming the file and the field: another quant_method (gptq, awq,
// fp8, bitsandbytes, ...), another format (pack-quantized, ...), other bit widths, asymmetric
// codes, "block" / "token" weight strategies, dynamic weights, groups with different schemes.
// Not read: "input_activations" (activations are quantised as engine.activation_scales says),
// "kv_cache_scheme" (engine.kv_cache.dtype decides), "ignore" and "targets" (every layer projection
// must be quantised, the embedding and LM head not: checked on the tensors).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/dtype.h"
#include "reference/quant.h"

namespace rooflm {

// How quantization_config says the layer projections' weights are stored.
struct CheckpointWeightScheme {
  DType dtype = DType::i8;  // i8 | f8e4m3
  ref::WeightScaleGrain grain = ref::WeightScaleGrain::channel;
  int64_t group_size = 0;  // group: inputs per scale; else 0
};

// The weight scheme of `config_json`'s quantization_config; nullopt when the file does not exist
// or has no quantization_config. Throws InputError naming the file and field as above.
std::optional<CheckpointWeightScheme> read_checkpoint_quant_config(const std::filesystem::path& config_json);

}  // namespace rooflm
