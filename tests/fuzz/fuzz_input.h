// Shared by the libFuzzer targets (tests/fuzz/*_fuzz.cpp): the one outcome a reader may have
// besides success is an InputError (the bad-input refusal, exit 2 in the CLI). Anything else
// (another exception such as a raw nlohmann::json error or a failed ROOFLM_CHECK, a crash, a
// sanitizer report, a hang) escapes, and libFuzzer reports it with the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.h"

namespace rooflm::fuzz {

// Runs `read`; swallows only InputError (the reader refused the input: what it must do with bad
// input), whose message goes to stderr when ROOFLM_FUZZ_VERBOSE is set (to check a seed:
// ROOFLM_FUZZ_VERBOSE=1 build-sanitize/tests/fuzz/rooflm_fuzz_scenario FILE).
template <class Read>
void expect_input_error_only(Read&& read) {
  static const bool verbose = std::getenv("ROOFLM_FUZZ_VERBOSE") != nullptr;
  try {
    read();
    if (verbose) std::fprintf(stderr, "accepted\n");
  } catch (const InputError& error) {
    if (verbose) std::fprintf(stderr, "InputError: %s\n", error.what());
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
