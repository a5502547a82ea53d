// JSONL readers for arrival traces (rooflm's and Mooncake's) and length datasets (from a file or
// from its text).
#include "engine/scenario/workload_files.h"

#include <cstdint>
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

std::vector<TraceEntry> parse_mooncake_trace(const std::string& text, const std::string& origin, int64_t block_size) {
  ROOFLM_CHECK(block_size >= 1, "block_size " + std::to_string(block_size));
  std::vector<TraceEntry> entries;
  double first_ms = 0, previous_ms = 0;
  for_each_jsonl_object(text, origin, [&](const json& object, const std::string& where) {
    const auto timestamp = object.find("timestamp");
    if (timestamp == object.end()) throw InputError(where + ": missing field \"timestamp\"");
    if (!timestamp->is_number() || !(timestamp->get<double>() >= 0))
      throw InputError(where + ": \"timestamp\" must be a number of milliseconds >= 0, got " + timestamp->dump());
    const double ms = timestamp->get<double>();
    if (entries.empty()) first_ms = ms;
    if (!entries.empty() && ms < previous_ms)
      throw InputError(where + ": \"timestamp\" " + timestamp->dump() + " is earlier than the previous line's " +
                       json(previous_ms).dump() + " (a trace is sorted by timestamp)");
    previous_ms = ms;
    TraceEntry entry;
    entry.arrival = (ms - first_ms) / 1000;
    if (!(entry.arrival <= kMaxArrivalSeconds))
      throw InputError(where + ": \"timestamp\" " + timestamp->dump() + " is " + json(entry.arrival).dump() +
                       " s after the first line's, beyond the limit of " + std::to_string(int64_t(kMaxArrivalSeconds)) +
                       " s (a day)");
    entry.prompt_len = length_field(object, "input_length", where);
    entry.output_len = length_field(object, "output_length", where);
    const auto ids = object.find("hash_ids");
    if (ids == object.end()) throw InputError(where + ": missing field \"hash_ids\"");
    if (!ids->is_array()) throw InputError(where + ": \"hash_ids\" must be an array of integers, got " + ids->dump());
    for (size_t i = 0; i < ids->size(); ++i) {
      const json& id = (*ids)[i];
      if (!id.is_number_integer() || (id.is_number_unsigned() && id.get<uint64_t>() > uint64_t(INT64_MAX)) ||
          id.get<int64_t>() < 0)
        throw InputError(where + ": \"hash_ids\"[" + std::to_string(i) + "] must be an integer in [0, 2^63), got " +
                         id.dump());
      entry.hash_ids.push_back(id.get<int64_t>());
    }
    // Each id names a block of block_size tokens; the last may be partial, none may be empty.
    const int64_t blocks = int64_t(entry.hash_ids.size());
    if (blocks > 0 && (blocks - 1) * block_size >= entry.prompt_len)
      throw InputError(where + ": " + std::to_string(blocks) + " hash_ids of " + std::to_string(block_size) +
                       " tokens (workload.arrival.block_size) need an input_length above " +
                       std::to_string((blocks - 1) * block_size) + ", got " + std::to_string(entry.prompt_len) +
                       ": hash id " + std::to_string(blocks - 1) + " would name no prompt token (is block_size right?)");
    entries.push_back(std::move(entry));
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
