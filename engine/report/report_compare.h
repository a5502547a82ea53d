// The two-file comparison view of `rooflm report A.json B.json --compare`: variants matched by
// label (headline_rows: a capacity file's capacity entries, else its runs), per variant the
// headline metrics of A and B side by side with B / A and the Mann-Whitney U significance.
//   {"a": name, "b": name, "variants": [{"label", "capacity": {...} (both capacity files),
//     "metrics": [metric_against(B's run, A's run)]}], "only_a": [labels], "only_b": [labels]}
#pragma once

#include <nlohmann/json.hpp>

#include "engine/report/report_data.h"

namespace rooflm {

nlohmann::json report_comparison(const NamedResults& a, const NamedResults& b);

}  // namespace rooflm
