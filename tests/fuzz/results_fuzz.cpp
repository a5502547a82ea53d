// libFuzzer target: the results reader, read_results (JSON, schema version), on a temporary file
// holding the input (it reads only from a path).
// TODO(issue 11, lead at merge): part B makes one validating results reader with a text entry
// point; call that here instead (and drop the temporary file).
// Run: tools/fuzz results
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/results/results.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("rooflm-fuzz-results-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  rooflm::fuzz::expect_input_error_only([&] { rooflm::read_results(file); });
  return 0;
}
