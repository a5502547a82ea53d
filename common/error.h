// Error types of rooflm and the exit codes they map to at the CLI boundary.
//   InputError -> exit 2: bad usage, scenario, model or weights file (the message names the field,
//                 file or number).
//   ToolFailure -> exit 3: the tool itself failed where exit 1 means something else (`gate`: 1 is a
//                 regression, so an internal error there is 3).
//   anything else (std::exception) -> exit 1: the run itself failed.
#pragma once

#include <stdexcept>
#include <string>

namespace rooflm {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitToolFailed = 3;

// Bad input supplied by the user. The message must say which field, file or number is wrong.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An internal failure of a command whose exit 1 has another meaning (gate: a regression).
class ToolFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Invariant check that stays in release builds (KV-cache bookkeeping, scheduler budgets, ...).
#define ROOFLM_CHECK(cond, msg)                                                              \
  do {                                                                                       \
    if (!(cond))                                                                             \
      throw std::logic_error(std::string("check failed: ") + #cond + " (" + (msg) + ") at " + \
                             __FILE__ + ":" + std::to_string(__LINE__));                     \
  } while (0)

}  // namespace rooflm
