// Variant's JSON form, as results.json records it under run.variant.
#include "common/variant.h"

namespace rooflm {

nlohmann::json Variant::to_json() const {
  return {{"backend", name(backend)},
          {"kernels", name(kernels)},
          {"precision", name(precision)},
          {"kv_cache", name(kv_layout)},
          {"kv_dtype", dtype_name(kv_dtype)},
          {"launch", name(launch)},
          {"tensor_parallel", tensor_parallel}};
}

}  // namespace rooflm
