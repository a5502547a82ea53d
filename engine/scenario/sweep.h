// Sweeps: "sweep": {"engine.kernels": ["naive", "fused"], "engine.batching.max_batch": [1, 8]}
// expands into the cartesian product of its lists, the first key varying slowest.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/scenario/scenario_context.h"

namespace rooflm {

inline constexpr size_t kMaxSweepPoints = 4096;

struct SweepAxis {
  std::string path;                            // "engine.kernels"
  std::vector<nlohmann::ordered_json> values;  // non-empty
};

// One point of the product: for each axis, the index of its value.
using SweepPoint = std::vector<size_t>;

// Reads doc["sweep"] (absent: no axes). Fails naming sweep["path"] when a path is not sweepable
// (with the nearest valid path), when two paths overlap, or when a value is not a non-empty array.
std::vector<SweepAxis> read_sweep_axes(const nlohmann::ordered_json& doc, const ScenarioContext& ctx);

// Every point, first axis slowest; one empty point when there are no axes. Fails past
// kMaxSweepPoints.
std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes, const ScenarioContext& ctx);

// `sweep["engine.kernels"][1]`: how errors name one value of an axis.
std::string sweep_value_name(const SweepAxis& axis, size_t index);

}  // namespace rooflm
