// Shared by the libFuzzer targets (tests/fuzz/*_fuzz.cpp): the one outcome a reader may have
// besides success is an InputError (the bad-input refusal, exit 2 in the CLI). Anything else
// (another exception such as a raw nlohmann::json error or a failed ROOFLM_CHECK, a crash, a
// sanitizer report, a hang) escapes, and libFuzzer reports it with the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace rooflm::fuzz {

// Runs `read`; swallows only InputError.
template <class Read>
void expect_input_error_only(Read&& read) {
  try {
    read();
  } catch (const InputError&) {
    // the reader refused the input: what it must do with bad input
  }
}

inline std::string text_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// `text` cut at every NUL byte: the first part and the ones after each NUL.
inline std::vector<std::string> split_at_nul(const std::string& text) {
  std::vector<std::string> parts(1);
  for (const char c : text) {
    if (c == '\0')
      parts.emplace_back();
    else
      parts.back() += c;
  }
  return parts;
}

}  // namespace rooflm::fuzz
