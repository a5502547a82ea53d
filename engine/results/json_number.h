// JSON has no NaN or infinity: results files write those as null.
#pragma once

#include <cmath>

#include <nlohmann/json.hpp>

namespace rooflm {

inline nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace rooflm
