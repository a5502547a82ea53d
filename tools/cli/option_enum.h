// parse_option(): a command-line option's text -> the axis enum (the CLI's own "scenario reader":
// strings of axis values are parsed here once and passed on as enums).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/variant.h"

namespace rooflm {

// `text` as one of `allowed` values of `table`; else InputError naming the option and the valid values.
template <class E, size_t N>
E parse_option(const std::string& option, const std::array<EnumName<E>, N>& table, const std::vector<E>& allowed,
               const std::string& text) {
  std::string valid;
  for (E value : allowed) {
    if (enum_name(table, value) == text) return value;
    valid += (valid.empty() ? "" : ", ") + std::string(enum_name(table, value));
  }
  throw InputError(option + ": unknown value \"" + text + "\" (valid: " + valid + ")");
}

}  // namespace rooflm
