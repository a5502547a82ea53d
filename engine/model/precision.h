// What a precision (the variant axis, common/variant.h) means for the tensors of a model: the
// storage type of the transformer layers' linear weights and their scales, what a GEMM reads as
// its input, which tensor-core peak it runs at, and the KV cache's element type.
//   fp16: everything 16-bit; GEMMs at the fp16 tensor peak.
//   int8 (W8A16, weight-only): linear-layer weights int8 with one fp16 scale per output channel,
//         dequantised in the GEMM's main loop; math and activations stay fp16.
//   w8a8 (SmoothQuant): int8 weights (per-channel fp16 scales) AND int8 GEMM inputs (the op that
//         produces a GEMM's input writes it quantised); int8 tensor peak; outputs dequantised to fp16.
//   fp32 (the cpu backend's reference): fp16-rounded weights computed in fp32; sized as fp16.
// In every precision the embedding, the norms and the LM head stay fp16 (what W8A16 and SmoothQuant
// checkpoints do: the LM head is the most quantisation-sensitive layer), and attention math is fp16.
// Per-token activation scales and the per-(token, head) scales of an int8 KV cache are left out of
// byte counts: under 2% of the bytes they describe.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "common/dtype.h"
#include "common/variant.h"

namespace rooflm {

// Which tensor-core peak a GEMM runs at.
enum class TensorMath : uint8_t { fp16, int8 };
std::string_view tensor_math_name(TensorMath math);  // "fp16" | "int8"

struct PrecisionDtypes {
  Precision precision = Precision::fp16;
  DType weight = DType::f16;      // transformer-layer linear weights
  bool weight_scales = false;     // one fp16 scale per output channel of each such weight
  DType gemm_input = DType::f16;  // an activation written for such a GEMM to read
  TensorMath math = TensorMath::fp16;
  DType kv = DType::f16;          // K and V elements in the cache

  int64_t weight_bytes() const { return int64_t(dtype_size(weight)); }
  int64_t weight_scale_bytes() const { return weight_scales ? int64_t(dtype_size(DType::f16)) : 0; }
  int64_t kv_bytes() const { return int64_t(dtype_size(kv)); }
  // {"name", "kv_dtype", "weight_bytes", "weight_scale_bytes", "activation_bytes", "gemm_input_bytes",
  //  "kv_bytes", "linear_math"}
  nlohmann::json to_json() const;
};

// Bytes per element of the activations and of the tensors every precision keeps in fp16
// (embedding, norm weights, biases, LM head).
inline constexpr int64_t kFp16Bytes = 2;

// Throws InputError for a precision without a mapping yet (fp8).
PrecisionDtypes precision_dtypes(Precision precision, DType kv_dtype = DType::f16);

}  // namespace rooflm
