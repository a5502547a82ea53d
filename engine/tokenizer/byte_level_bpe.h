// A byte-level BPE tokenizer (GPT-2, Llama-3, Qwen2) read from a Hugging Face tokenizer.json: the
// text is split into pre-tokens by the regex of its pre_tokenizer (pretokenize.h), each pre-token's
// UTF-8 bytes become the printable characters of GPT-2's byte-to-unicode map, and the merges are
// applied lowest rank first until none applies; each remaining symbol is one token. Read from the
// file: model.type "BPE", model.merges ("a b" strings or ["a", "b"] pairs), model.vocab,
// model.ignore_merges (a pre-token that is a whole vocab entry is one token), and the ByteLevel
// pre-tokenizer's add_prefix_space. Not applied: normalizers and added tokens (a special token's
// text in a conversation counts as plain text).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/pretokenize.h"
#include "engine/tokenizer/token_counter.h"

namespace rooflm {

class ByteLevelBpe : public TokenCounter {
 public:
  struct Config {
    PretokenizeStyle style = PretokenizeStyle::gpt2;
    bool add_prefix_space = false;
    bool ignore_merges = false;
    std::unordered_map<std::string, int64_t> ranks;  // "a b" -> merge rank (0 first)
    std::unordered_map<std::string, int64_t> vocab;  // token -> id
  };
  explicit ByteLevelBpe(Config config) : config_(std::move(config)) {}

  int64_t count_tokens(std::string_view text) override;
  // The tokens of one pre-token (its byte-level characters merged), for tests and count_tokens.
  std::vector<std::string> encode_pretoken(std::string_view pretoken) const;

 private:
  Config config_;
  std::unordered_map<std::string, int64_t> cache_;  // pre-token -> token count
};

// GPT-2's map of the 256 byte values to printable characters (UTF-8): bytes '!'..'~', U+00A1..U+00AC
// and U+00AE..U+00FF map to themselves, the others to U+0100 onward in byte order (' ' -> 'Ġ').
const std::string& byte_level_char(uint8_t byte);

// The tokenizer of a tokenizer.json; `origin` names it in errors (InputError: not BPE, not
// byte-level, a malformed vocab or merge entry, naming its JSON path).
ByteLevelBpe::Config parse_byte_level_bpe(const nlohmann::json& tokenizer, const std::string& origin);
ByteLevelBpe::Config read_byte_level_bpe(const std::filesystem::path& file);

}  // namespace rooflm
