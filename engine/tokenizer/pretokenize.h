// The pre-tokenisation of byte-level BPE tokenizers, written as scanners of the regexes they use,
// with Unicode classes approximated (exact for ASCII text): \p{L} is ASCII letters, Latin-1 and
// Latin Extended letters, and every code point from U+0250 on outside the punctuation, symbol,
// emoji and private-use blocks; \p{N} is ASCII and full-width digits and Latin-1 ¹²³¼½¾; \s is
// Unicode white space.
//   gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
//           |\s*[\r\n]+|\s+(?!\S)|\s+   (Llama-3, Qwen2: tokenizer.json's Split pattern has \p{N}{1,3})
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rooflm {

enum class PretokenizeStyle { gpt2, llama3 };

// The pre-tokens of `text` (UTF-8; an invalid byte counts as one symbol character), in order;
// their concatenation is `text`.
std::vector<std::string_view> pretokenize(std::string_view text, PretokenizeStyle style);

}  // namespace rooflm
