// parse_jsonc: nlohmann's parser with comments enabled, a callback that tracks the object path to
// catch duplicate keys, and syntax errors turned into origin:line:column messages.
#include "engine/scenario/jsonc.h"

#include <set>
#include <vector>

#include "common/error.h"

namespace rooflm {
namespace {

using ordered_json = nlohmann::ordered_json;

// One open object or array while parsing: the keys seen so far (objects) or the index of the
// current element (arrays).
struct OpenContainer {
  bool is_array = false;
  std::set<std::string> keys;
  std::string current_key;
  int64_t element_count = 0;
};

// "engine.kv_cache" / "sweep.engine.kernels[1]": where the innermost open container sits.
std::string container_path(const std::vector<OpenContainer>& stack) {
  std::string path;
  for (size_t i = 0; i + 1 < stack.size(); ++i) {
    if (stack[i].is_array) {
      path.append("[").append(std::to_string(stack[i].element_count - 1)).append("]");
    } else {
      if (!path.empty()) path += ".";
      path += stack[i].current_key;
    }
  }
  return path;
}

// 1-based line and column of byte offset `byte` (nlohmann counts the byte it stopped at, from 1).
std::pair<int64_t, int64_t> line_and_column(const std::string& text, size_t byte) {
  int64_t line = 1, column = 1;
  const size_t end = std::min(text.size(), byte > 0 ? byte - 1 : 0);
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// nlohmann's message without its "[json.exception...] parse error at line L, column C: " prefix.
std::string syntax_problem(const std::string& what) {
  const size_t at = what.find("parse error");
  const size_t colon = what.find(": ", at == std::string::npos ? 0 : at);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

ordered_json parse_jsonc(const std::string& text, const std::string& origin) {
  std::vector<OpenContainer> stack;
  const auto new_element = [&stack] {
    if (!stack.empty() && stack.back().is_array) ++stack.back().element_count;
  };
  const ordered_json::parser_callback_t track_keys =
      [&](int /*depth*/, ordered_json::parse_event_t event, ordered_json& parsed) {
        using Event = ordered_json::parse_event_t;
        switch (event) {
          case Event::object_start:
          case Event::array_start:
            new_element();
            stack.push_back(OpenContainer{event == Event::array_start, {}, {}, 0});
            break;
          case Event::object_end:
          case Event::array_end:
            stack.pop_back();
            break;
          case Event::key: {
            OpenContainer& object = stack.back();
            object.current_key = parsed.get<std::string>();
            if (!object.keys.insert(object.current_key).second) {
              const std::string parent = container_path(stack);
              throw InputError(origin + ": duplicate key \"" +
                               (parent.empty() ? "" : parent + ".") + object.current_key + "\"");
            }
            break;
          }
          case Event::value:
            new_element();
            break;
        }
        return true;
      };
  try {
    return ordered_json::parse(text, track_keys, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& error) {
    const auto [line, column] = line_and_column(text, error.byte);
    throw InputError(origin + ":" + std::to_string(line) + ":" + std::to_string(column) +
                     ": JSON syntax error: " + syntax_problem(error.what()));
  } catch (const nlohmann::json::out_of_range& error) {  // a number literal beyond a double: 1e400
    const std::string what = error.what();
    throw InputError(origin + ": JSON number out of range: " + what.substr(what.find("] ") + 2));
  }
}

}  // namespace rooflm
