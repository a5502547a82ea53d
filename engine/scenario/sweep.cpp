// Sweep axes: reading and checking the "sweep" object and enumerating its cartesian product.
#include "engine/scenario/sweep.h"

#include "engine/scenario/json_path.h"
#include "engine/scenario/scenario_keys.h"

namespace rooflm {
namespace {

std::string axis_name(const std::string& path) { return "sweep[\"" + path + "\"]"; }

}  // namespace

std::vector<SweepAxis> read_sweep_axes(const nlohmann::ordered_json& doc, const ScenarioContext& ctx) {
  std::vector<SweepAxis> axes;
  const auto sweep = doc.find("sweep");
  if (sweep == doc.end()) return axes;
  if (!sweep->is_object()) ctx.fail("\"sweep\" must be an object, got " + std::string(sweep->type_name()));
  for (const auto& [path, values] : sweep->items()) {
    if (!is_sweepable_key_path(path))
      ctx.fail("unknown sweep path " + axis_name(path) + unknown_key_hint(path, sweepable_key_paths()));
    if (!values.is_array() || values.empty())
      ctx.fail(axis_name(path) + " must be a non-empty array of values, got " +
               (values.is_array() ? std::string("[]") : std::string(values.type_name())));
    for (const SweepAxis& earlier : axes) {
      if (path_is_within(path, earlier.path) || path_is_within(earlier.path, path))
        ctx.fail(axis_name(path) + " overlaps " + axis_name(earlier.path) + ": sweep one or the other");
    }
    axes.push_back(SweepAxis{path, std::vector<nlohmann::ordered_json>(values.begin(), values.end())});
  }
  return axes;
}

std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes, const ScenarioContext& ctx) {
  size_t count = 1;
  for (const SweepAxis& axis : axes) {
    count *= axis.values.size();
    if (count > kMaxSweepPoints)
      ctx.fail("\"sweep\" expands to more than " + std::to_string(kMaxSweepPoints) + " points");
  }
  std::vector<SweepPoint> points;
  points.reserve(count);
  SweepPoint point(axes.size(), 0);
  for (size_t n = 0; n < count; ++n) {
    points.push_back(point);
    // Odometer step: the last axis varies fastest.
    for (size_t i = axes.size(); i-- > 0;) {
      if (++point[i] < axes[i].values.size()) break;
      point[i] = 0;
    }
  }
  return points;
}

std::string sweep_value_name(const SweepAxis& axis, size_t index) {
  return axis_name(axis.path) + "[" + std::to_string(index) + "]";
}

}  // namespace rooflm
