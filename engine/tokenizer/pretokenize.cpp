// Scanners for the gpt2 and llama3 pre-tokenisation regexes over decoded code points; each match
// is the longest the regex's first matching alternative takes (the regexes are greedy and their
// alternatives are tried in order).
#include "engine/tokenizer/pretokenize.h"

#include <cstdint>
#include <functional>

namespace rooflm {
namespace {

struct CodePoint {
  char32_t value;
  size_t offset;  // of its first byte in the text
};

// UTF-8 decoding; a byte that does not start a valid sequence is one code point of its own (an
// invalid value, which classifies as neither letter, digit nor space).
std::vector<CodePoint> decode(std::string_view text) {
  std::vector<CodePoint> out;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
    char32_t value = length == 1 ? byte : length == 2 ? byte & 0x1F : length == 3 ? byte & 0x0F : byte & 0x07;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next >> 6) == 0x2;
      value = (value << 6) | (next & 0x3F);
    }
    if (!valid) {
      out.push_back({0xFFFFFFFF, i});
      ++i;
      continue;
    }
    out.push_back({value, i});
    i += length;
  }
  return out;
}

bool is_space(char32_t c) {
  return (c >= 9 && c <= 13) || c == ' ' || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_digit(char32_t c) {
  return (c >= '0' && c <= '9') || c == 0xB2 || c == 0xB3 || c == 0xB9 || (c >= 0xBC && c <= 0xBE) ||
         (c >= 0xFF10 && c <= 0xFF19);
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
  if (c < 0x250) return c != 0xD7 && c != 0xF7;
  const bool not_letters = (c >= 0x300 && c <= 0x36F) ||    // combining marks
                           (c >= 0x2000 && c <= 0x2BFF) ||  // punctuation, symbols, arrows, math, shapes
                           (c >= 0x3000 && c <= 0x303F) ||  // CJK symbols and punctuation
                           (c >= 0xE000 && c <= 0xF8FF) ||  // private use
                           (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF20) ||
                           (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65) ||
                           (c >= 0x1F000 && c <= 0x1FAFF) ||  // emoji, pictographs
                           c > 0x10FFFF;
  return !not_letters;
}

bool is_other(char32_t c) { return !is_space(c) && !is_letter(c) && !is_digit(c); }
bool is_newline(char32_t c) { return c == '\r' || c == '\n'; }

class Scanner {
 public:
  Scanner(const std::vector<CodePoint>& cps) : cps_(cps) {}

  // The end of the run of code points from `from` that satisfy `keep` (at most `limit` of them).
  size_t run(size_t from, const std::function<bool(char32_t)>& keep, size_t limit = SIZE_MAX) const {
    size_t end = from;
    while (end < cps_.size() && end - from < limit && keep(cps_[end].value)) ++end;
    return end;
  }
  bool at(size_t i, const std::function<bool(char32_t)>& test) const { return i < cps_.size() && test(cps_[i].value); }

  // 's 't 're 've 'm 'll 'd at i: its length, else 0.
  size_t contraction(size_t i, bool ignore_case) const {
    if (!at(i, [](char32_t c) { return c == '\''; })) return 0;
    auto lower = [&](size_t k) -> char32_t {
      if (k >= cps_.size()) return 0;
      const char32_t c = cps_[k].value;
      return ignore_case && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
    };
    const char32_t a = lower(i + 1), b = lower(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    return 0;
  }

  // \s+(?!\S)|\s+ at i (a white-space code point): a run followed by a non-space gives its last
  // code point to what follows, unless the run is that one code point.
  size_t white_space(size_t i) const {
    const size_t end = run(i, is_space);
    if (end == cps_.size() || end - i == 1) return end;
    return end - 1;
  }

  size_t gpt2(size_t i) const {
    if (const size_t n = contraction(i, false)) return i + n;
    const size_t start = at(i, [](char32_t c) { return c == ' '; }) ? i + 1 : i;
    if (at(start, is_letter)) return run(start, is_letter);
    if (at(start, is_digit)) return run(start, is_digit);
    if (at(start, is_other)) return run(start, is_other);
    return white_space(i);
  }

  size_t llama3(size_t i) const {
    if (const size_t n = contraction(i, true)) return i + n;
    if (at(i, is_letter)) return run(i, is_letter);
    if (at(i, [](char32_t c) { return !is_newline(c) && !is_digit(c); }) && at(i + 1, is_letter))
      return run(i + 1, is_letter);
    if (at(i, is_digit)) return run(i, is_digit, 3);
    const size_t start = at(i, [](char32_t c) { return c == ' '; }) ? i + 1 : i;
    if (at(start, is_other)) return run(run(start, is_other), is_newline);
    // \s*[\r\n]+: up to the last newline of the white-space run.
    const size_t end = run(i, is_space);
    for (size_t k = end; k > i; --k)
      if (is_newline(cps_[k - 1].value)) return k;
    return white_space(i);
  }

 private:
  const std::vector<CodePoint>& cps_;
};

}  // namespace

std::vector<std::string_view> pretokenize(std::string_view text, PretokenizeStyle style) {
  const std::vector<CodePoint> cps = decode(text);
  const Scanner scanner(cps);
  std::vector<std::string_view> out;
  for (size_t i = 0; i < cps.size();) {
    const size_t end = style == PretokenizeStyle::gpt2 ? scanner.gpt2(i) : scanner.llama3(i);
    const size_t from = cps[i].offset, to = end < cps.size() ? cps[end].offset : text.size();
    out.push_back(text.substr(from, to - from));
    i = end;
  }
  return out;
}

}  // namespace rooflm
