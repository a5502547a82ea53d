// JSON-with-comments reader for scenario files: accepts // and /* */ comments, keeps the key order
// of the file (a sweep expands in that order) and rejects duplicate keys. Errors name the origin
// and, for syntax errors, its line and column.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rooflm {

// Parses `text`. Throws InputError "origin:line:column: JSON syntax error: ..." on bad syntax and
// "origin: duplicate key "a.b"" when one object holds the same key twice.
nlohmann::ordered_json parse_jsonc(const std::string& text, const std::string& origin);

}  // namespace rooflm
