// Pre-quantised checkpoints (QAT / PTQ output, issue 12): a safetensors folder whose layer
// projections (q/k/v/o/gate/up/down_proj) hold int8 or FP8 codes with their scales, in the
// compressed-tensors / llm-compressor layout ("int-quantized" / "float-quantized"):
//   <prefix>.weight I8 or F8_E4M3 [out, in], <prefix>.weight_scale F16 / BF16 / F32 of shape
//   [] or [1] (per tensor), [out] or [out, 1] (per output channel), [out, in / group_size] (per
//   group, I8 only); an optional all-zero <prefix>.weight_zero_point (quantized_projection.h).
// Every layer projection is quantised, with one code dtype; the embedding, norms, biases and LM
// head are F16 / BF16 / F32 (load_safetensors_weights). When the folder's config.json has a
// quantization_config (checkpoint_quant_config.h), every projection must match its weight scheme.
// GPTQ / AWQ (qweight, qzeros), packed int4, block-scaled FP8 and asymmetric codes are refused.
//
// How a variant runs one (every mismatch is an InputError naming engine.precision or
// engine.weight_scales, and the file and tensor):
//   * engine.precision int8 / w8a8 need I8 codes, fp8 F8_E4M3; the codes are used as they are.
//   * engine.weight_scales must be the checkpoint's grain or a finer one (tensor -> channel ->
//     group, a group size dividing the checkpoint's): each scale then takes the checkpoint's scale
//     of its block, exactly. A packed tensor (wqkv, w_gate_up) with per-tensor scales needs its
//     parts to share one scale; parts whose scales differ run at "channel".
//   * int8 scales are held as fp16 (the int8 GEMMs' scale type): F16 as stored, BF16 / F32 rounded
//     to the nearest fp16 (BF16 scales >= 2^-17 are exact); one beyond fp16 or rounding to 0 is an
//     error. FP8 scales are fp32, as stored.
//   * fp16 (and the cpu backend's fp32 reference) dequantises: code * scale, rounded to fp16
//     (load_safetensors_weights), so a run's accuracy reference is the checkpoint's own weights.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "engine/model/model_config.h"
#include "engine/model/precision.h"
#include "engine/model/quantized_layer.h"
#include "engine/model/safetensors.h"
#include "reference/quant.h"

namespace rooflm {

// One layer's projections as the checkpoint holds them (each its own grain and scales, fp32).
struct PrequantizedLayer {
  ref::QuantizedWeight q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
};

// The layer projections of `checkpoint`, read and checked as above against `config` and the
// quantization_config of `config_json` (when that file exists); nullopt when every projection is
// plain F16 / BF16 / F32 (and config.json describes no quantisation).
std::optional<std::vector<PrequantizedLayer>> read_prequantized_layers(const SafetensorsCheckpoint& checkpoint,
                                                                       const ModelConfig& config,
                                                                       const std::filesystem::path& config_json);

// The checkpoint in `dir` (config.json beside it) packed for `dtypes` (a quantised weight dtype):
// codes as stored, scales in dtypes.weight_scales' grain and dtype; nullopt for a plain
// checkpoint (then quantise at load). The other weights load with
// load_safetensors_weights(dir, config, LayerLinearWeights::skip).
std::optional<std::vector<QuantizedLayer>> load_prequantized_layers(const std::filesystem::path& dir,
                                                                     const ModelConfig& config,
                                                                     const PrecisionDtypes& dtypes);

}  // namespace rooflm
