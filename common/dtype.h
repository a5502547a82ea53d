// Element types that rooflm stores (weights, KV cache, activations) and their sizes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rooflm {

enum class DType { f32, f16, bf16, i8, f8e4m3 };

constexpr std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i8: return 1;
    case DType::f8e4m3: return 1;
  }
  return 0;
}

// KV-cache dtypes stored as 8-bit codes with per-(token, head) scales (common/kv_view.h).
constexpr bool kv_dtype_quantized(DType t) { return t == DType::i8 || t == DType::f8e4m3; }

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "fp32";
    case DType::f16: return "fp16";
    case DType::bf16: return "bf16";
    case DType::i8: return "int8";
    case DType::f8e4m3: return "fp8";
  }
  return "?";
}

}  // namespace rooflm
