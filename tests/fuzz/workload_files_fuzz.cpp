// libFuzzer target: the JSONL workload readers, both on each input: the arrival trace
// ({"arrival", "prompt_len", "output_len"} per line, sorted) and the length dataset (field
// "prompt_len" of every line).
// Run: tools/fuzz workload_files
#include <string>

#include "engine/scenario/workload_files.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = rooflm::fuzz::text_of(data, size);
  rooflm::fuzz::expect_input_error_only([&] { rooflm::parse_arrival_trace(text, "fuzz-trace.jsonl"); });
  rooflm::fuzz::expect_input_error_only([&] { rooflm::parse_length_dataset(text, "fuzz-dataset.jsonl", "prompt_len"); });
  return 0;
}
