// libFuzzer target: the sharded-checkpoint index reader (model.safetensors.index.json text ->
// the tensor -> shard file pairs, each shard a plain file name).
// Run: tools/fuzz safetensors_index
#include "engine/model/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rooflm::fuzz::expect_input_error_only([&] {
    rooflm::parse_safetensors_index(rooflm::fuzz::text_of(data, size), "fuzz/model.safetensors.index.json");
  });
  return 0;
}
