// JSONL readers for arrival traces and length datasets (from a file or from its text).
#include "engine/scenario/workload_files.h"

#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace rooflm {
namespace {

using json = nlohmann::json;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string() + ": cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Calls on_line(object, "origin:line") for every non-blank line; fails unless each is an object.
void for_each_jsonl_object(const std::string& lines, const std::string& origin,
                           const std::function<void(const json&, const std::string&)>& on_line) {
  std::istringstream in(lines);
  std::string text;
  int64_t line = 0, objects = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = origin + ":" + std::to_string(line);
    json value;
    try {
      value = json::parse(text);
    } catch (const json::exception& e) {  // parse_error; out_of_range for 1e400
      throw InputError(where + ": not valid JSON (" + e.what() + ")");
    }
    if (!value.is_object()) throw InputError(where + ": each line must be a JSON object");
    on_line(value, where);
    ++objects;
  }
  if (objects == 0) throw InputError(origin + ": no lines");
}

int64_t positive_integer(const json& object, const std::string& field, const std::string& where) {
  const auto it = object.find(field);
  if (it == object.end()) throw InputError(where + ": missing field \"" + field + "\"");
  if (!it->is_number_integer() || it->get<int64_t>() < 1)
    throw InputError(where + ": \"" + field + "\" must be an integer >= 1, got " + it->dump());
  return it->get<int64_t>();
}

}  // namespace

std::vector<TraceEntry> read_arrival_trace(const std::filesystem::path& file) {
  return parse_arrival_trace(read_text(file), file.string());
}

std::vector<int64_t> read_length_dataset(const std::filesystem::path& file, const std::string& field) {
  return parse_length_dataset(read_text(file), file.string(), field);
}

std::vector<TraceEntry> parse_arrival_trace(const std::string& text, const std::string& origin) {
  std::vector<TraceEntry> entries;
  for_each_jsonl_object(text, origin, [&](const json& object, const std::string& where) {
    TraceEntry entry;
    const auto arrival = object.find("arrival");
    if (arrival == object.end()) throw InputError(where + ": missing field \"arrival\"");
    if (!arrival->is_number() || arrival->get<double>() < 0)
      throw InputError(where + ": \"arrival\" must be a number of seconds >= 0, got " + arrival->dump());
    entry.arrival = arrival->get<double>();
    if (!entries.empty() && entry.arrival < entries.back().arrival)
      throw InputError(where + ": \"arrival\" " + arrival->dump() + " is earlier than the previous line's " +
                       std::to_string(entries.back().arrival) + " (a trace is sorted by arrival)");
    entry.prompt_len = positive_integer(object, "prompt_len", where);
    entry.output_len = positive_integer(object, "output_len", where);
    entries.push_back(entry);
  });
  return entries;
}

std::vector<int64_t> parse_length_dataset(const std::string& text, const std::string& origin, const std::string& field) {
  std::vector<int64_t> values;
  for_each_jsonl_object(text, origin, [&](const json& object, const std::string& where) {
    values.push_back(positive_integer(object, field, where));
  });
  return values;
}

}  // namespace rooflm
