// libFuzzer target: the safetensors reader (8-byte header length, JSON header, every tensor's
// dtype, shape and byte range checked against the data), from the bytes of a whole file; each
// F16 / BF16 / F32 tensor it accepts is decoded, so a range it lets through that lies outside the
// file is an AddressSanitizer report.
// Run: tools/fuzz safetensors
#include <cstddef>
#include <vector>

#include "engine/model/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* first = reinterpret_cast<const std::byte*>(data);
  rooflm::fuzz::expect_input_error_only([&] {
    const rooflm::SafetensorsFile file("fuzz.safetensors", std::vector<std::byte>(first, first + size));
    for (const std::string& name : file.names()) {
      const rooflm::SafetensorsTensorInfo& info = file.info(name);
      std::vector<float> values(static_cast<size_t>(info.numel()));
      rooflm::safetensors_decode_floats(info, values.data());
    }
  });
  return 0;
}
