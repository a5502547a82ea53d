// libFuzzer target: the scenario reader, parse_scenario (JSON with comments, schema check, --set
// overrides, sweep expansion, strict validation of every point). Input: the scenario text, then
// NUL-separated --set overrides ("path=value"). Relative paths in it resolve against scenarios/,
// so model.config "../tests/fixtures/hf/llama" reads a committed Hugging Face config.
// Run: tools/fuzz scenario
#include <string>
#include <vector>

#include "engine/scenario/scenario.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = rooflm::fuzz::split_at_nul(rooflm::fuzz::text_of(data, size));
  const std::string text = parts.front();
  const std::vector<std::string> overrides(parts.begin() + 1, parts.end());
  rooflm::fuzz::expect_input_error_only(
      [&] { rooflm::parse_scenario(text, ROOFLM_SOURCE_DIR "/scenarios/fuzz_input.json", overrides); });
  return 0;
}
