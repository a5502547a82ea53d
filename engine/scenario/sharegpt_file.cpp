// parse_sharegpt: checks every entry's shape, tokenizes the first human / gpt pair.
#include "engine/scenario/sharegpt_file.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_text.h"
#include "engine/scenario/scenario_limits.h"

namespace rooflm {
namespace {

using json = nlohmann::json;

// A string field of one turn (`where` is its JSON path).
const json& turn_field(const json& turn, const char* field, const std::string& where) {
  const auto it = turn.find(field);
  if (it == turn.end()) throw InputError(where + ": missing field \"" + field + "\"");
  if (!it->is_string()) throw InputError(where + "." + field + " must be a string, got " + it->type_name());
  return *it;
}

}  // namespace

void parse_sharegpt(const std::string& text, const std::string& origin, TokenCounter& tokenizer, ShareGptSpec& spec) {
  const json doc = parse_json_text(text, origin);
  if (!doc.is_array())
    throw InputError(origin + ": a ShareGPT file is a JSON array of conversations, got " + doc.type_name());
  spec.pairs.clear();
  spec.conversations = int64_t(doc.size());
  spec.skipped = 0;
  for (size_t e = 0; e < doc.size(); ++e) {
    const std::string entry = origin + ": [" + std::to_string(e) + "]";
    const json& conversation = doc[e];
    if (!conversation.is_object()) throw InputError(entry + " must be an object, got " + conversation.type_name());
    const auto turns = conversation.find("conversations");
    if (turns == conversation.end()) throw InputError(entry + ": missing field \"conversations\"");
    if (!turns->is_array())
      throw InputError(entry + ".conversations must be an array of turns, got " + turns->type_name());
    for (size_t t = 0; t < turns->size(); ++t) {
      const std::string where = entry + ".conversations[" + std::to_string(t) + "]";
      if (!(*turns)[t].is_object()) throw InputError(where + " must be an object, got " + (*turns)[t].type_name());
      turn_field((*turns)[t], "from", where);
      turn_field((*turns)[t], "value", where);
    }
    if (turns->size() < 2 || (*turns)[0]["from"] != "human" || (*turns)[1]["from"] != "gpt") {
      ++spec.skipped;
      continue;
    }
    ConversationPair pair;
    pair.prompt_len = tokenizer.count_tokens((*turns)[0]["value"].get_ref<const std::string&>());
    pair.output_len = tokenizer.count_tokens((*turns)[1]["value"].get_ref<const std::string&>());
    const bool too_long = (spec.max_len > 0 && pair.prompt_len + pair.output_len > spec.max_len) ||
                          pair.prompt_len > kMaxTokenLength || pair.output_len > kMaxTokenLength;
    if (pair.prompt_len < 1 || pair.output_len < 1 || too_long) {
      ++spec.skipped;
      continue;
    }
    spec.pairs.push_back(pair);
  }
  if (spec.pairs.empty())
    throw InputError(origin + ": none of its " + std::to_string(spec.conversations) +
                     " entries has a usable pair (a \"human\" turn, then a \"gpt\" turn, both of at least one token" +
                     (spec.max_len > 0 ? ", together at most max_len " + std::to_string(spec.max_len) + " tokens" : "") +
                     ")");
}

}  // namespace rooflm
