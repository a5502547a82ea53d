// JSONL readers for arrival traces and length datasets (from a file or from its text).
#include "engine/scenario/workload_files.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_text.h"
#include "engine/scenario/scenario_limits.h"

namespace rooflm {
namespace {

using json = nlohmann::json;

// Calls on_line(object, "origin:line") for every non-blank line of `text`; fails unless each is an
// object. Errors inside a line name it as origin:line:column.
void for_each_jsonl_object(const std::string& text, const std::string& origin,
                           const std::function<void(const json&, const std::string&)>& on_line) {
  int64_t line = 0, objects = 0;
  for (size_t begin = 0; begin < text.size();) {
    const size_t newline = text.find('\n', begin);
    const size_t end = newline == std::string::npos ? text.size() : newline;
    const std::string_view content(text.data() + begin, end - begin);
    begin = end + 1;
    ++line;
    if (content.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = origin + ":" + std::to_string(line);
    json value;
    try {
      value = parse_json_text(content, origin, {.first_line = line});
    } catch (const JsonTextError& error) {
      if (error.kind() != JsonTextError::Kind::duplicate_key) throw;
      // The parser cannot place a duplicate key; the line can.
      throw InputError(where + std::string(error.what()).substr(origin.size()));
    }
    if (!value.is_object()) throw InputError(where + ": each line must be a JSON object");
    on_line(value, where);
    ++objects;
  }
  if (objects == 0) throw InputError(origin + ": no lines");
}

// An integer token count in [1, kMaxTokenLength].
int64_t length_field(const json& object, const std::string& field, const std::string& where) {
  const auto it = object.find(field);
  if (it == object.end()) throw InputError(where + ": missing field \"" + field + "\"");
  const bool in_range = it->is_number_integer() && !(it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(kMaxTokenLength)) &&
                        it->get<int64_t>() >= 1 && it->get<int64_t>() <= kMaxTokenLength;
  if (!in_range)
    throw InputError(where + ": \"" + field + "\" must be an integer in [1, " + std::to_string(kMaxTokenLength) +
                     "], got " + it->dump());
  return it->get<int64_t>();
}

}  // namespace

std::vector<TraceEntry> read_arrival_trace(const std::filesystem::path& file) {
  return parse_arrival_trace(read_text_file(file, kMaxJsonlFileBytes, "workload file"), file.string());
}

std::vector<int64_t> read_length_dataset(const std::filesystem::path& file, const std::string& field) {
  return parse_length_dataset(read_text_file(file, kMaxJsonlFileBytes, "workload file"), file.string(), field);
}

std::vector<TraceEntry> parse_arrival_trace(const std::string& text, const std::string& origin) {
  std::vector<TraceEntry> entries;
  for_each_jsonl_object(text, origin, [&](const json& object, const std::string& where) {
    TraceEntry entry;
    const auto arrival = object.find("arrival");
    if (arrival == object.end()) throw InputError(where + ": missing field \"arrival\"");
    if (!arrival->is_number() || !(arrival->get<double>() >= 0 && arrival->get<double>() <= kMaxArrivalSeconds))
      throw InputError(where + ": \"arrival\" must be a number of seconds in [0, " +
                       std::to_string(int64_t(kMaxArrivalSeconds)) + "] (a day, the limit), got " + arrival->dump());
    entry.arrival = arrival->get<double>();
    if (!entries.empty() && entry.arrival < entries.back().arrival)
      throw InputError(where + ": \"arrival\" " + arrival->dump() + " is earlier than the previous line's " +
                       json(entries.back().arrival).dump() + " (a trace is sorted by arrival)");
    entry.prompt_len = length_field(object, "prompt_len", where);
    entry.output_len = length_field(object, "output_len", where);
    entries.push_back(entry);
  });
  return entries;
}

std::vector<int64_t> parse_length_dataset(const std::string& text, const std::string& origin, const std::string& field) {
  std::vector<int64_t> values;
  for_each_jsonl_object(text, origin, [&](const json& object, const std::string& where) {
    values.push_back(length_field(object, field, where));
  });
  return values;
}

}  // namespace rooflm
