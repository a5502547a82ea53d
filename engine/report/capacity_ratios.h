// Ratios between the capacities of variants (results "capacity" entries): for every sweep key, each
// variant against the one that differs from it only in that key and holds the key's first value,
// e.g. "continuous / static (layout=contiguous): 5.10x at the same SLO". Read from results JSON only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

struct CapacityRatio {
  std::string key;          // the sweep key that differs: "engine.batching.policy"
  std::string numerator;    // its value in the numerator variant: "continuous"
  std::string denominator;  // its value in the base variant: "static"
  std::string others;       // the other keys of the pair: "layout=contiguous" (empty: none)
  double ratio = 0;         // numerator / denominator capacity; NaN when a side has none
  std::string bound;        // "": exact; ">=" numerator held at search.hi; "<=" the base did; "?" both
  std::string text() const; // "continuous / static (layout=contiguous): 5.10x at the same SLO"
};

// `capacity` is a results document's "capacity" array (in sweep order).
std::vector<CapacityRatio> capacity_ratios(const nlohmann::json& capacity);

}  // namespace rooflm
