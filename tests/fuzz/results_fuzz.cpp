// libFuzzer target: the results reader (parse_results_text: JSON limits, schema version, the
// result schema), which report, compare, gate and run --calibrate-from read files through.
// Run: tools/fuzz results
#include <string_view>

#include "engine/results/results_reader.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rooflm::fuzz::expect_input_error_only([&] { rooflm::parse_results_text(text, "fuzz input"); });
  return 0;
}
