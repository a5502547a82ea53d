// TokenCounter: how many tokens a model's own tokenizer makes of a text (no special tokens added:
// no BOS / EOS), for turning conversation text into prompt and output lengths. Two kinds, chosen by
// the file name: a Hugging Face tokenizer.json of a byte-level BPE (byte_level_bpe.h) and a
// sentencepiece tokenizer.model (sentencepiece_counter.h, through Debian's libsentencepiece).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

namespace rooflm {

class TokenCounter {
 public:
  virtual ~TokenCounter() = default;
  virtual int64_t count_tokens(std::string_view text) = 0;
};

// A file named *.json: byte-level BPE; *.model: sentencepiece. Anything else, a missing or
// malformed file, or a sentencepiece model in a build without libsentencepiece: InputError naming
// the file.
std::unique_ptr<TokenCounter> load_token_counter(const std::filesystem::path& file);

}  // namespace rooflm
