// version_text(): what `rooflm --version` prints, from the compiled-in build info.
#include "engine/results/build_info.h"

namespace rooflm {

std::string version_text() {
  const BuildInfo& b = build_info();
  const std::string commit = *b.git_commit ? std::string("commit ") + b.git_commit : "commit unknown";
  const char* dirty = b.git_dirty == 1 ? ", with uncommitted changes" : b.git_dirty == 0 ? "" : ", tree state unknown";
  return std::string("rooflm ") + b.version + " (" + commit + dirty + "; " + b.build_type + " build)";
}

}  // namespace rooflm
