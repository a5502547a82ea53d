// What `rooflm run` prints after a capacity search: per variant its capacity, the bracket, the
// probes and the SLO that bounds it, then the ratios between variants at the same SLO
// (engine/report/capacity_ratios.h).
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

namespace rooflm {

// `capacity`: the results' "capacity" array.
void print_capacity(const nlohmann::json& capacity, std::ostream& os);

}  // namespace rooflm
