// StaticActivationScales lookup (see static_scales.h).
#include "engine/model/static_scales.h"

#include <cmath>

#include "common/error.h"

namespace rooflm {

float StaticActivationScales::of(const OpNode& op) const {
  const auto it = by_op.find({op.layer, op.name});
  const std::string what = "engine.activation_scales \"static\": layer " + std::to_string(op.layer) + " op " + op.name;
  if (it == by_op.end()) throw InputError(what + " has no static activation scale");
  if (!(std::isfinite(it->second) && it->second > 0))
    throw InputError(what + ": static activation scale " + std::to_string(it->second) + " must be finite and > 0");
  return it->second;
}

}  // namespace rooflm
