// Setting a value at a dotted key path ("engine.kv_cache.layout") inside a scenario document, as
// sweeps and --set do.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rooflm {

// Sets `doc` at `path`, creating missing objects on the way. Returns the path of the first value
// on the way that exists but is not an object (nothing is set then), else nullopt.
std::optional<std::string> set_at_path(nlohmann::ordered_json& doc, std::string_view path,
                                       const nlohmann::ordered_json& value);

// True when `path` is `ancestor` or lies inside it ("a.b.c" is inside "a.b", not inside "a.bc").
bool path_is_within(std::string_view path, std::string_view ancestor);

}  // namespace rooflm
