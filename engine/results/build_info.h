// What this binary was built from, compiled in at build time (cmake/build_info.cmake): the git
// commit, whether the tree had uncommitted changes, the rooflm version and the CMake build type.
// results.json's environment records these (never a `git rev-parse` at run time, which names the
// tree's HEAD rather than the binary's commit); `rooflm --version` prints them.
#pragma once

#include <string>

namespace rooflm {

struct BuildInfo {
  const char* git_commit;  // 40 hex digits, or "" when unknown
  int git_dirty;           // 1 dirty, 0 clean, -1 unknown
  const char* version;     // "0.1.0"
  const char* build_type;  // "Release", "Debug", ...
};

const BuildInfo& build_info();

// "rooflm 0.1.0 (commit 0c563f0..., dirty; Release build)"
std::string version_text();

}  // namespace rooflm
