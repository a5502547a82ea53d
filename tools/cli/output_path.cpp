// require_writable_folder: walks up to the nearest existing ancestor and creates (then removes) a
// probe file there; a file in the way, /proc, a read-only mount or a folder without write
// permission all fail the probe.
#include "tools/cli/output_path.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace rooflm {

namespace fs = std::filesystem;

namespace {

// `named` ("--out out/x") leads the messages.
void probe_folder(const fs::path& folder, const std::string& named) {
  std::error_code error;
  fs::path existing = fs::absolute(folder.empty() ? fs::path(".") : folder, error).lexically_normal();
  while (!fs::exists(existing, error) && existing.has_parent_path() && existing != existing.parent_path())
    existing = existing.parent_path();
  if (!fs::is_directory(existing, error))
    throw InputError(named + ": " + existing.string() + " is a file, not a folder");
  std::string probe = (existing / ".rooflm-write-check-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    throw InputError(named + ": cannot write in " + existing.string() + " (" + std::strerror(errno) + ")");
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace

void require_writable_folder(const fs::path& folder, const std::string& option) {
  probe_folder(folder, option + " " + folder.string());
}

void require_writable_file(const fs::path& file, const std::string& option) {
  std::error_code error;
  if (fs::is_directory(file, error)) throw InputError(option + " " + file.string() + ": is a folder, not a file");
  probe_folder(file.parent_path(), option + " " + file.string());
}

}  // namespace rooflm
