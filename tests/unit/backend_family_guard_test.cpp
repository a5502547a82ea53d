// Until the cpu and cuda backends run the family recipe, make_backend refuses a model that needs a
// family trait (Q/K/V bias, sliding window, rope scaling) instead of computing a plain Llama step
// for it; the sim backend (a cost model, no values) takes every model.
// Run: build/tests/rooflm_unit_tests --gtest_filter='BackendFamilyGuard*'
#include <gtest/gtest.h>

#include "engine/backend/backend_factory.h"
#include "tests/unit/input_error_message.h"

namespace rooflm {
namespace {

TEST(BackendFamilyGuard, CpuRefusesModelsWithFamilyTraits) {
  Scenario scenario;
  scenario.engine.threads = 1;
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"tiny-qwen2", "model 'tiny-qwen2' (family qwen2) needs Q/K/V bias, which the cpu backend does not run yet"},
      {"tiny-mistral", "needs sliding-window attention (16)"},
      {"tiny-llama3", "needs llama3 rope scaling"},
  };
  for (const auto& [preset, expected] : cases) {
    const std::string message =
        test::input_error_message([&] { make_backend("cpu", model_preset(preset), scenario, {}); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
  EXPECT_NE(make_backend("cpu", model_preset("tiny"), scenario, {}), nullptr);
  ModelConfig mistral_no_window = model_preset("tiny-mistral");
  mistral_no_window.sliding_window = 0;  // Mistral-7B-v0.3: no trait beyond Llama's
  EXPECT_NE(make_backend("cpu", mistral_no_window, scenario, {}), nullptr);
}

}  // namespace
}  // namespace rooflm
