// Where rooflm's data files live (scenarios/, engine/roofline/gpus/): $ROOFLM_SOURCE_DIR, else the
// source folder the binary was built from.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace rooflm {

inline std::filesystem::path source_dir() {
  if (const char* env = std::getenv("ROOFLM_SOURCE_DIR"); env && *env) return env;
  return ROOFLM_SOURCE_DIR;
}

}  // namespace rooflm
