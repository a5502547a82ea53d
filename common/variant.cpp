// Variant's JSON form, as results.json records it under run.variant, and its precision predicates.
#include "common/variant.h"

namespace rooflm {

bool Variant::quantised_weights() const {
  return precision == Precision::int8 || precision == Precision::w8a8 || precision == Precision::fp8;
}

bool Variant::quantised_activations() const { return precision == Precision::w8a8 || precision == Precision::fp8; }

nlohmann::json Variant::to_json() const {
  nlohmann::json j = {{"backend", name(backend)},
                      {"kernels", name(kernels)},
                      {"precision", name(precision)},
                      {"kv_cache", name(kv_layout)},
                      {"kv_dtype", dtype_name(kv_dtype)},
                      {"launch", name(launch)},
                      {"tensor_parallel", tensor_parallel}};
  if (quantised_weights()) {
    j["weight_scales"] = name(weight_scales);
    if (weight_scales == WeightScales::group) j["weight_group_size"] = weight_group_size;
  }
  if (quantised_activations()) j["activation_scales"] = name(activation_scales);
  return j;
}

}  // namespace rooflm
