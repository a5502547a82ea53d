// parse_json_text: nlohmann's (non-recursive) SAX parser feeding our own DOM builder, which
// refuses nesting deeper than kMaxJsonDepth and a key repeated in one object; number overflow
// (nlohmann's out_of_range 406) and syntax errors arrive through parse_error with the byte offset,
// turned into origin:line:column messages.
#include "common/json_text.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unordered_set>
#include <vector>

namespace rooflm {
namespace {

namespace fs = std::filesystem;

// 1-based line and column of the byte before offset `byte` (nlohmann reports the count of bytes
// read, the offending one included).
std::pair<int64_t, int64_t> line_and_column(std::string_view text, size_t byte, int64_t first_line) {
  int64_t line = first_line, column = 1;
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

std::string located(const std::string& origin, std::string_view text, size_t byte, int64_t first_line) {
  const auto [line, column] = line_and_column(text, byte, first_line);
  return origin + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

// Offset + 1 of the bracket that opens nesting level `limit + 1` (the parser has accepted the text
// up to there, so strings and comments are well formed); 0 when there is none.
size_t byte_past_depth(std::string_view text, int limit, bool comments) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
    } else if (comments && c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (comments && c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const size_t close = text.find("*/", i + 2);
      i = close == std::string_view::npos ? text.size() : close + 1;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return i + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return 0;
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line L, column C: " prefix.
std::string syntax_problem(const std::string& what) {
  const size_t at = what.find("parse error");
  const size_t colon = what.find(": ", at == std::string::npos ? 0 : at);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

// Builds the DOM like nlohmann's json_sax_dom_parser, with the limits. Only the innermost open
// container ever grows, so the pointers to the open ones stay valid.
template <class Json>
class LimitedDomBuilder {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  LimitedDomBuilder(std::string_view text, const std::string& origin, const JsonTextOptions& options)
      : text_(text), origin_(origin), comments_(options.comments), first_line_(options.first_line) {}

  Json& root() { return root_; }

  bool null() { return put(nullptr), true; }
  bool boolean(bool value) { return put(value), true; }
  bool number_integer(number_integer_t value) { return put(value), true; }
  bool number_unsigned(number_unsigned_t value) { return put(value), true; }
  bool number_float(number_float_t value, const string_t& /*literal*/) { return put(value), true; }
  bool string(string_t& value) { return put(std::move(value)), true; }
  bool binary(binary_t& value) { return put(Json::binary(std::move(value))), true; }

  bool start_object(std::size_t /*elements*/) { return open(Json::object()), true; }
  bool start_array(std::size_t /*elements*/) { return open(Json::array()), true; }
  bool end_object() { return close(), true; }
  bool end_array() { return close(), true; }

  bool key(string_t& key) {
    Open& open = open_.back();
    if (!open.keys.insert(key).second) {
      const std::string parent = open_path();
      throw JsonTextError(JsonTextError::Kind::duplicate_key,
                          origin_ + ": duplicate key \"" + (parent.empty() ? "" : parent + ".") + key + "\"");
    }
    key_ = key;
    auto& members = open.container->template get_ref<typename Json::object_t&>();
    if constexpr (requires { members.emplace_back(key, Json()); }) {
      // ordered_map is a vector whose operator[] searches it: append (the key is new), O(1).
      members.emplace_back(key, Json());
      slot_ = &members.back().second;
    } else {
      slot_ = &members[key];
    }
    return true;
  }

  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& error) {
    constexpr int kNumberOverflow = 406;  // nlohmann out_of_range.406: "number overflow parsing '1e400'"
    if (error.id == kNumberOverflow) {
      // `position` counts the bytes up to the literal's last one: point at its first.
      const size_t start = position >= token.size() ? position - token.size() + 1 : 1;
      throw JsonTextError(JsonTextError::Kind::number,
                          located(origin_, text_, start, first_line_) + "number " + token +
                              " does not fit a double (|x| <= 1.8e308)");
    }
    throw JsonTextError(JsonTextError::Kind::syntax,
                        located(origin_, text_, position, first_line_) + "JSON syntax error: " + syntax_problem(error.what()));
  }

 private:
  struct Open {
    Json* container;
    std::string location;               // "engine", "[2]": where it sits in its parent
    std::unordered_set<std::string> keys;  // an object's keys so far
  };

  // Places a finished value (scalar or a new empty container); returns where it now lives.
  template <class V>
  Json* put(V&& value) {
    if (open_.empty()) {
      root_ = Json(std::forward<V>(value));
      return &root_;
    }
    Json& parent = *open_.back().container;
    if (parent.is_array()) {
      parent.push_back(Json(std::forward<V>(value)));
      return &parent.back();
    }
    *slot_ = Json(std::forward<V>(value));
    return slot_;
  }

  void open(Json empty) {
    if (int(open_.size()) >= kMaxJsonDepth) {
      throw JsonTextError(JsonTextError::Kind::depth,
                          located(origin_, text_, byte_past_depth(text_, kMaxJsonDepth, comments_), first_line_) +
                              "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels (the limit) at \"" +
                              open_path(8) + "\"");
    }
    std::string location;
    if (!open_.empty() && open_.back().container->is_array()) {
      location.append("[").append(std::to_string(open_.back().container->size())).append("]");
    } else if (!open_.empty()) {
      location = key_;
    }
    Json* placed = put(std::move(empty));
    open_.push_back(Open{placed, std::move(location), {}});
  }

  void close() { open_.pop_back(); }

  // "sweep.engine.kernels[0]": the innermost open container; with `max_parts`, its first parts then "...".
  std::string open_path(size_t max_parts = SIZE_MAX) const {
    std::string path;
    for (size_t i = 1; i < open_.size(); ++i) {
      if (i > max_parts) return path + "...";
      const std::string& part = open_[i].location;
      if (!part.starts_with("[") && !path.empty()) path += ".";
      path += part;
    }
    return path;
  }

  std::string_view text_;
  const std::string& origin_;
  bool comments_;
  int64_t first_line_;
  Json root_;
  std::vector<Open> open_;
  Json* slot_ = nullptr;  // the object member the next value goes into
  std::string key_;       // its key
};

template <class Json>
Json parse_limited(std::string_view text, const std::string& origin, const JsonTextOptions& options) {
  // nlohmann stops at a NUL byte as at the end of the text: what follows would be ignored.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos)
    throw JsonTextError(JsonTextError::Kind::syntax, located(origin, text, nul + 1, options.first_line) +
                                                         "JSON syntax error: a NUL byte (JSON text cannot hold one)");
  LimitedDomBuilder<Json> builder(text, origin, options);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/options.comments);
  if (!ok) throw JsonTextError(JsonTextError::Kind::syntax, origin + ": JSON syntax error");
  return std::move(builder.root());
}

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& origin, const JsonTextOptions& options) {
  return parse_limited<nlohmann::json>(text, origin, options);
}

nlohmann::ordered_json parse_ordered_json_text(std::string_view text, const std::string& origin,
                                               const JsonTextOptions& options) {
  return parse_limited<nlohmann::ordered_json>(text, origin, options);
}

std::string read_text_file(const fs::path& file, int64_t max_bytes, const std::string& what) {
  using Kind = JsonTextError::Kind;
  std::error_code error;
  if (fs::is_directory(file, error)) throw JsonTextError(Kind::file, what + " " + file.string() + " is a folder, not a file");
  if (!fs::exists(file, error)) throw JsonTextError(Kind::file, what + " not found: " + file.string());
  const auto too_large = [&] {
    return JsonTextError(Kind::file, what + " " + file.string() + " is larger than " + std::to_string(max_bytes) +
                                         " bytes (the limit for a " + what + ")");
  };
  if (fs::is_regular_file(file, error) && int64_t(fs::file_size(file, error)) > max_bytes) throw too_large();
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw JsonTextError(Kind::file, what + " " + file.string() + ": cannot open for reading (" + std::strerror(errno) + ")");
  // In chunks: a device or a pipe has no size and may never end.
  std::string text;
  std::vector<char> chunk(size_t(1) << 16);
  while (in.read(chunk.data(), std::streamsize(chunk.size())) || in.gcount() > 0) {
    text.append(chunk.data(), size_t(in.gcount()));
    if (int64_t(text.size()) > max_bytes) throw too_large();
  }
  return text;
}

nlohmann::json read_json_file(const fs::path& file, int64_t max_bytes, const std::string& what,
                              const JsonTextOptions& options) {
  return parse_json_text(read_text_file(file, max_bytes, what), file.string(), options);
}

}  // namespace rooflm
