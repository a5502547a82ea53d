// ShareGPT conversation files: a JSON array of {"id": ..., "conversations": [{"from": "human" |
// "gpt" | ..., "value": text}, ...]}. Each entry whose first two turns are a "human" turn and the
// "gpt" turn answering it gives one pair: the token counts of the two texts under the model's own
// tokenizer (as vLLM's benchmark_serving reads ShareGPT). Entries with fewer turns, other roles in
// those two, a text of no tokens, or (max_len > 0) prompt + output above max_len are skipped and
// counted. A malformed entry is an InputError naming the file and the entry's JSON path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/scenario/scenario.h"
#include "engine/tokenizer/token_counter.h"

namespace rooflm {

// ShareGPT_V3_unfiltered (the usual file) is 642 MB; 1 GiB bounds one.
inline constexpr int64_t kMaxConversationFileBytes = int64_t(1) << 30;

// Fills spec.pairs, conversations and skipped from the text of a conversation file (`origin` names
// it in errors), counting tokens with `tokenizer` (spec.tokenizer loaded); an error when no entry
// gives a pair.
void parse_sharegpt(const std::string& text, const std::string& origin, TokenCounter& tokenizer, ShareGptSpec& spec);

}  // namespace rooflm
