// precision_dtypes(): each precision's tensor types and scale layouts (see precision.h).
#include "engine/model/precision.h"

#include <string>

#include "common/error.h"

namespace rooflm {

std::string_view tensor_math_name(TensorMath math) {
  switch (math) {
    case TensorMath::fp16: return "fp16";
    case TensorMath::int8: return "int8";
    case TensorMath::fp8: return "fp8";
  }
  return "?";
}

std::string_view scale_grain_name(ScaleGrain grain) {
  switch (grain) {
    case ScaleGrain::none: return "none";
    case ScaleGrain::tensor: return "tensor";
    case ScaleGrain::channel: return "channel";
    case ScaleGrain::group: return "group";
    case ScaleGrain::token: return "token";
  }
  return "?";
}

int64_t ScaleLayout::count(int64_t rows, int64_t cols) const {
  switch (grain) {
    case ScaleGrain::none: return 0;
    case ScaleGrain::tensor: return 1;
    case ScaleGrain::channel:
    case ScaleGrain::token: return rows;
    case ScaleGrain::group: return rows * (cols / group_size);
  }
  return 0;
}

namespace {

ScaleLayout weight_scale_layout(const Variant& v, DType scale_dtype) {
  ScaleLayout s{.dtype = scale_dtype};
  switch (v.weight_scales) {
    case WeightScales::channel: s.grain = ScaleGrain::channel; break;
    case WeightScales::tensor: s.grain = ScaleGrain::tensor; break;
    case WeightScales::group:
      if (v.precision != Precision::int8)
        throw InputError("engine.weight_scales \"group\" is for engine.precision \"int8\" (weight-only) only: the " +
                         std::string(name(v.precision)) +
                         " GEMM applies one scale per output channel after the whole reduction (use \"channel\" or "
                         "\"tensor\")");
      if (v.weight_group_size < 1 || v.weight_group_size > kMaxWeightGroupSize)
        throw InputError("engine.weight_group_size must be in [1, " + std::to_string(kMaxWeightGroupSize) + "], got " +
                         std::to_string(v.weight_group_size));
      s.grain = ScaleGrain::group;
      s.group_size = v.weight_group_size;
      break;
  }
  return s;
}

ScaleLayout input_scale_layout(const Variant& v) {
  return {.grain = v.activation_scales == ActivationScales::dynamic ? ScaleGrain::token : ScaleGrain::tensor,
          .dtype = DType::f32};
}

}  // namespace

PrecisionDtypes precision_dtypes(const Variant& variant) {
  PrecisionDtypes p;
  p.precision = variant.precision;
  p.kv = variant.kv_dtype;
  switch (variant.precision) {
    case Precision::fp16:
    case Precision::fp32:
      break;
    case Precision::int8:
      p.weight = DType::i8;
      p.weight_scales = weight_scale_layout(variant, DType::f16);
      break;
    case Precision::w8a8:
      p.weight = DType::i8;
      p.weight_scales = weight_scale_layout(variant, DType::f16);
      p.gemm_input = DType::i8;
      p.input_scales = input_scale_layout(variant);
      p.math = TensorMath::int8;
      break;
    case Precision::fp8:
      p.weight = DType::f8e4m3;
      p.weight_scales = weight_scale_layout(variant, DType::f32);
      p.gemm_input = DType::f8e4m3;
      p.input_scales = input_scale_layout(variant);
      p.math = TensorMath::fp8;
      break;
  }
  return p;
}

PrecisionDtypes precision_dtypes(Precision precision, DType kv_dtype) {
  Variant v;
  v.precision = precision;
  v.kv_dtype = kv_dtype;
  return precision_dtypes(v);
}

nlohmann::json PrecisionDtypes::to_json() const {
  nlohmann::json j = {{"name", name(precision)},
                      {"kv_dtype", dtype_name(kv)},
                      {"weight_bytes", weight_bytes()},
                      {"weight_scales", scale_grain_name(weight_scales.grain)},
                      {"weight_scale_bytes", weight_scales.present() ? int64_t(dtype_size(weight_scales.dtype)) : 0},
                      {"activation_bytes", kFp16Bytes},
                      {"gemm_input_bytes", int64_t(dtype_size(gemm_input))},
                      {"input_scales", scale_grain_name(input_scales.grain)},
                      {"input_scale_bytes", input_scales.present() ? int64_t(dtype_size(input_scales.dtype)) : 0},
                      {"kv_bytes", kv_bytes()},
                      {"linear_math", tensor_math_name(math)}};
  if (weight_scales.grain == ScaleGrain::group) j["weight_group_size"] = weight_scales.group_size;
  return j;
}

}  // namespace rooflm
