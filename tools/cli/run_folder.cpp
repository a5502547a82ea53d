// RunFolder: fresh timestamped output folders and their `latest` link (see run_folder.h).
#include "tools/cli/run_folder.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "common/error.h"
#include "tools/cli/output_path.h"

namespace rooflm {

namespace fs = std::filesystem;

std::string utc_folder_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return text.data();
}

void replace_symlink(const fs::path& link, const fs::path& target) {
  const fs::path temporary = link.string() + ".tmp." + std::to_string(::getpid());
  std::error_code error;
  fs::remove(temporary, error);
  fs::create_directory_symlink(target, temporary, error);
  if (error) throw std::runtime_error("cannot create the link " + temporary.string() + ": " + error.message());
  if (::rename(temporary.c_str(), link.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    fs::remove(temporary, error);
    throw std::runtime_error("cannot point " + link.string() + " at " + target.string() + ": " + why);
  }
}

RunFolder::RunFolder(const std::string& out, const fs::path& parent) {
  if (!out.empty()) {
    path_ = out;
    require_writable_folder(path_, "--out");  // before the run, not after it
    return;
  }
  require_writable_folder(parent, "the output folder");
  std::error_code error;
  fs::create_directories(parent, error);
  if (error) throw InputError("the output folder " + parent.string() + ": " + error.message());
  const std::string stamp = utc_folder_stamp();
  for (int n = 1;; ++n) {
    path_ = parent / (n == 1 ? stamp : stamp + "-" + std::to_string(n));
    if (fs::create_directory(path_, error)) break;  // false: it exists already (another run's)
    if (error) throw InputError("the output folder " + path_.string() + ": " + error.message());
  }
  fresh_ = true;
}

RunFolder::~RunFolder() {
  if (!fresh_ || kept_) return;
  std::error_code error;
  if (fs::is_empty(path_, error)) fs::remove(path_, error);
}

std::string RunFolder::finish() {
  kept_ = true;
  if (!fresh_) return "";
  const fs::path link = path_.parent_path() / "latest";
  replace_symlink(link, path_.filename());
  return "latest: " + link.string() + " -> " + path_.filename().string();
}

}  // namespace rooflm
