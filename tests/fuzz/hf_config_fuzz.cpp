// libFuzzer target: the Hugging Face config.json reader (family, refusals of what no recipe runs,
// RoPE scaling, every size field, ModelConfig::validate).
// Run: tools/fuzz hf_config
#include "engine/model/model_config.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rooflm::fuzz::expect_input_error_only(
      [&] { rooflm::model_config_from_hf_text(rooflm::fuzz::text_of(data, size), "fuzz-model/config.json"); });
  return 0;
}
