// Precision presets (fp16, W8A16 int8, SmoothQuant w8a8) and kernel-set names.
#include "engine/roofline/precision.h"

#include "common/error.h"

namespace rooflm {

KernelSet parse_kernel_set(std::string_view name) {
  if (name == "naive") return KernelSet::naive;
  if (name == "fused") return KernelSet::fused;
  throw InputError("kernels: unknown kernel set \"" + std::string(name) + "\" (valid: naive, fused)");
}

std::string_view kernel_set_name(KernelSet kernels) {
  return kernels == KernelSet::naive ? "naive" : "fused";
}

Precision precision_named(std::string_view name, std::string_view kv_dtype) {
  Precision precision;
  precision.name = std::string(name);
  if (name == "int8") {
    precision.weight_bytes = 1;
    precision.weight_scale_bytes = kFp16Bytes;
  } else if (name == "w8a8") {
    precision.weight_bytes = 1;
    precision.weight_scale_bytes = kFp16Bytes;
    precision.gemm_input_bytes = 1;
    precision.linear_math = TensorMath::int8;
  } else if (name != "fp16") {
    throw InputError("precision: unknown precision \"" + std::string(name) + "\" (valid: fp16, int8, w8a8)");
  }
  precision.kv_dtype = std::string(kv_dtype);
  if (kv_dtype == "int8") {
    precision.kv_bytes = 1;
  } else if (kv_dtype != "fp16") {
    throw InputError("kv dtype: unknown KV-cache dtype \"" + std::string(kv_dtype) + "\" (valid: fp16, int8)");
  }
  return precision;
}

nlohmann::json Precision::to_json() const {
  return {{"name", name},
          {"kv_dtype", kv_dtype},
          {"weight_bytes", weight_bytes},
          {"weight_scale_bytes", weight_scale_bytes},
          {"activation_bytes", activation_bytes},
          {"gemm_input_bytes", gemm_input_bytes},
          {"kv_bytes", kv_bytes},
          {"linear_math", linear_math == TensorMath::int8 ? "int8" : "fp16"}};
}

}  // namespace rooflm
