// What a precision (the variant axis, common/variant.h) means for the tensors of a model: the
// storage type of the transformer layers' linear weights and their scales, what a GEMM reads as
// its input and its scales, which tensor-core peak it runs at, and the KV cache's element type.
//   fp16: everything 16-bit; GEMMs at the fp16 tensor peak.
//   int8 (W8A16, weight-only): linear-layer weights int8 with fp16 scales (per output channel, per
//         group of inputs, or per tensor: engine.weight_scales), dequantised in the GEMM's main
//         loop; math and activations stay fp16.
//   w8a8 (SmoothQuant): int8 weights (fp16 scales per channel or tensor) AND int8 GEMM inputs with
//         fp32 scales, per token (dynamic: the op that produces the input computes and writes them)
//         or per tensor (static, from calibration); int8 tensor peak; int32 accumulation, outputs
//         dequantised to fp16 in the epilogue.
//   fp8 (E4M3): as w8a8 with e4m3 weights and inputs, fp32 weight scales (per channel or tensor);
//         fp8 tensor peak (Hopper, Ada).
//   fp32 (the cpu backend's reference): fp16-rounded weights computed in fp32; sized as fp16.
// Group scales are weight-only (int8): the int8 and fp8 tensor-core GEMMs reduce the whole input
// dimension before their epilogue applies one scale per output channel.
// In every precision the embedding, the norms and the LM head stay fp16 (what W8A16 and SmoothQuant
// checkpoints do: the LM head is the most quantisation-sensitive layer), and attention math is fp16.
// Every scale is counted at its real size by the memory and cost models: weight scales with the
// weights, activation scales as the producer writes them and the GEMM reads them, and the
// per-(token, kv head) scales of an int8 / fp8 KV cache with the KV bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/dtype.h"
#include "common/variant.h"

namespace rooflm {

// Which tensor-core peak a GEMM runs at.
enum class TensorMath : uint8_t { fp16, int8, fp8 };
std::string_view tensor_math_name(TensorMath math);  // "fp16" | "int8" | "fp8"

// Which elements of a quantised tensor share a scale: weights [rows = output channels, cols =
// inputs] per tensor, row (channel) or (row, group of inputs); activations [rows = tokens, cols]
// per tensor or row (token).
enum class ScaleGrain : uint8_t { none, tensor, channel, group, token };
std::string_view scale_grain_name(ScaleGrain grain);  // "none" | "tensor" | "channel" | "group" | "token"

struct ScaleLayout {
  ScaleGrain grain = ScaleGrain::none;
  int64_t group_size = 0;    // group: inputs per scale
  DType dtype = DType::f32;  // of one scale

  bool present() const { return grain != ScaleGrain::none; }
  // Scales of a [rows, cols] tensor (group: rows * cols / group_size).
  int64_t count(int64_t rows, int64_t cols) const;
  int64_t bytes(int64_t rows, int64_t cols) const { return count(rows, cols) * int64_t(dtype_size(dtype)); }
  bool operator==(const ScaleLayout&) const = default;
};

struct PrecisionDtypes {
  Precision precision = Precision::fp16;
  DType weight = DType::f16;  // transformer-layer linear weights
  ScaleLayout weight_scales;  // of each such weight
  DType gemm_input = DType::f16;  // an activation written for such a GEMM to read
  ScaleLayout input_scales;       // of such an activation (grain token or tensor)
  TensorMath math = TensorMath::fp16;
  DType kv = DType::f16;  // K and V elements in the cache

  int64_t weight_bytes() const { return int64_t(dtype_size(weight)); }
  int64_t kv_bytes() const { return int64_t(dtype_size(kv)); }
  // {"name", "kv_dtype", "weight_bytes", "weight_scales", "weight_group_size", "weight_scale_bytes",
  //  "activation_bytes", "gemm_input_bytes", "input_scales", "input_scale_bytes", "kv_bytes", "linear_math"}
  nlohmann::json to_json() const;
};

// Bytes per element of the activations and of the tensors every precision keeps in fp16
// (embedding, norm weights, biases, LM head).
inline constexpr int64_t kFp16Bytes = 2;

// The tensor types of `variant`'s precision, scale layouts and KV dtype. Throws InputError naming
// the scenario field for a combination no GEMM runs: group scales with w8a8 or fp8, a group size
// out of [1, 65536].
PrecisionDtypes precision_dtypes(const Variant& variant);
// The same with the default scales (per channel, dynamic activations).
PrecisionDtypes precision_dtypes(Precision precision, DType kv_dtype = DType::f16);

}  // namespace rooflm
