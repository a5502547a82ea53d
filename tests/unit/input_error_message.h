// input_error_message(action): the message of the InputError `action` throws; fails the test when
// it throws none. Shared by the tests that check error messages word for word.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/error.h"

namespace rooflm::test {

inline std::string input_error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

}  // namespace rooflm::test
