// Dotted key paths inside scenario documents.
#include "engine/scenario/json_path.h"

namespace rooflm {

std::optional<std::string> set_at_path(nlohmann::ordered_json& doc, std::string_view path,
                                       const nlohmann::ordered_json& value) {
  nlohmann::ordered_json* node = &doc;
  size_t start = 0;
  while (true) {
    if (!node->is_object()) return std::string(path.substr(0, start == 0 ? 0 : start - 1));
    const size_t dot = path.find('.', start);
    const std::string key(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) {
      (*node)[key] = value;
      return std::nullopt;
    }
    if (!node->contains(key)) (*node)[key] = nlohmann::ordered_json::object();
    node = &(*node)[key];
    start = dot + 1;
  }
}

bool path_is_within(std::string_view path, std::string_view ancestor) {
  return path == ancestor ||
         (path.size() > ancestor.size() && path.starts_with(ancestor) && path[ancestor.size()] == '.');
}

}  // namespace rooflm
