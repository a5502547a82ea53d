// precision_dtypes(): each precision's tensor types (see precision.h).
#include "engine/model/precision.h"

#include "common/error.h"

namespace rooflm {

std::string_view tensor_math_name(TensorMath math) { return math == TensorMath::int8 ? "int8" : "fp16"; }

PrecisionDtypes precision_dtypes(Precision precision, DType kv_dtype) {
  PrecisionDtypes p;
  p.precision = precision;
  p.kv = kv_dtype;
  switch (precision) {
    case Precision::fp16:
    case Precision::fp32:
      break;
    case Precision::int8:
      p.weight = DType::i8;
      p.weight_scales = true;
      break;
    case Precision::w8a8:
      p.weight = DType::i8;
      p.weight_scales = true;
      p.gemm_input = DType::i8;
      p.math = TensorMath::int8;
      break;
    case Precision::fp8:
      throw InputError("engine.precision \"fp8\" is not modelled yet (have: fp16, int8, w8a8)");
  }
  return p;
}

nlohmann::json PrecisionDtypes::to_json() const {
  return {{"name", name(precision)},
          {"kv_dtype", dtype_name(kv)},
          {"weight_bytes", weight_bytes()},
          {"weight_scale_bytes", weight_scale_bytes()},
          {"activation_bytes", kFp16Bytes},
          {"gemm_input_bytes", int64_t(dtype_size(gemm_input))},
          {"kv_bytes", kv_bytes()},
          {"linear_math", tensor_math_name(math)}};
}

}  // namespace rooflm
