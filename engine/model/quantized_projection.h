// One layer projection of a pre-quantised safetensors checkpoint (the compressed-tensors /
// llm-compressor "int-quantized" / "float-quantized" layout), read and checked as the file holds it:
//   <prefix>.weight        I8 (int8, symmetric: -127..127) or F8_E4M3 (e4m3fn, no NaN), [out, in]
//   <prefix>.weight_scale  F16, BF16 or F32, finite and >= 0:
//                            [] or [1]                  one per tensor
//                            [out] or [out, 1]          one per output channel
//                            [out, in / group_size]     one per group of inputs (I8 only)
//   <prefix>.weight_zero_point  optional; must be all zeros (symmetric)
// value = code * scale. Refused with an InputError naming the file and tensor: a missing or
// misshapen tensor, another dtype, a scale that is not finite or negative, an int8 code of -128, an
// e4m3 NaN code, a non-zero zero point, activation reordering (<prefix>.weight_g_idx), and the
// layouts of other tools (GPTQ / AWQ <prefix>.qweight / qzeros / scales, compressed-tensors
// pack-quantized <prefix>.weight_packed, block-scaled FP8 <prefix>.weight_scale_inv).
#pragma once

#include <cstdint>
#include <string>

#include "engine/model/safetensors.h"
#include "reference/quant.h"

namespace rooflm {

// True when `prefix` (e.g. "model.layers.0.self_attn.q_proj") is stored pre-quantised: it has a
// weight_scale, or its weight is I8 / F8_*. Throws InputError for the other tools' layouts above.
bool is_quantized_projection(const SafetensorsCheckpoint& checkpoint, const std::string& prefix);

// The projection's codes and scales ([rows, cols]; `origin` says where the shape comes from, e.g.
// "n_heads*head_dim=256, hidden=256"), scales decoded to fp32 exactly as stored.
ref::QuantizedWeight read_quantized_projection(const SafetensorsCheckpoint& checkpoint, const std::string& prefix,
                                               int64_t rows, int64_t cols, const std::string& origin);

}  // namespace rooflm
