// libFuzzer target: the workload file readers, each on every input: the arrival trace
// ({"arrival", "prompt_len", "output_len"} per line, sorted), the Mooncake trace ({"timestamp",
// "input_length", "output_length", "hash_ids"} per line, 4-token blocks), the length dataset (field
// "prompt_len" of every line), a ShareGPT conversation file counted with a merge-free byte-level BPE
// (every pre-tokenisation path, one token per byte), and the input as a tokenizer.json.
// Run: tools/fuzz workload_files
#include <string>

#include "common/json_text.h"
#include "engine/scenario/sharegpt_file.h"
#include "engine/scenario/workload_files.h"
#include "engine/tokenizer/byte_level_bpe.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = rooflm::fuzz::text_of(data, size);
  rooflm::fuzz::expect_input_error_only([&] { rooflm::parse_arrival_trace(text, "fuzz-trace.jsonl"); });
  rooflm::fuzz::expect_input_error_only([&] { rooflm::parse_mooncake_trace(text, "fuzz-mooncake.jsonl", 4); });
  rooflm::fuzz::expect_input_error_only([&] { rooflm::parse_length_dataset(text, "fuzz-dataset.jsonl", "prompt_len"); });
  for (const auto style : {rooflm::PretokenizeStyle::gpt2, rooflm::PretokenizeStyle::llama3}) {
    rooflm::ByteLevelBpe::Config config;
    config.style = style;
    rooflm::ByteLevelBpe bytes(config);
    rooflm::ShareGptSpec spec;
    rooflm::fuzz::expect_input_error_only([&] { rooflm::parse_sharegpt(text, "fuzz-sharegpt.json", bytes, spec); });
  }
  rooflm::fuzz::expect_input_error_only(
      [&] { rooflm::parse_byte_level_bpe(rooflm::parse_json_text(text, "fuzz-tokenizer.json"), "fuzz-tokenizer.json"); });
  return 0;
}
