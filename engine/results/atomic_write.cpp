// write_text_atomic() / write_json_atomic() (see atomic_write.h): `<path>.tmp.<pid>` in the same
// folder, fsync, rename over `path`.
#include "engine/results/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace rooflm {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& why) {
  throw std::runtime_error("cannot write '" + path.string() + "': " + why);
}

// Writes all of `text` to `temp` and fsyncs it; false (errno set) on any failure.
bool write_and_sync(const std::filesystem::path& temp, std::string_view text) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  for (size_t written = 0; written < text.size();) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return false;
    }
    written += size_t(n);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return false;
  }
  return ::close(fd) == 0;
}

}  // namespace

void write_text_atomic(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path folder = path.parent_path();
  if (!folder.empty()) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) fail(path, "cannot create folder '" + folder.string() + "': " + error.message());
  }

  std::filesystem::path temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  if (!write_and_sync(temp, text) || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    fail(path, why);
  }
}

void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& doc) {
  std::string text;
  try {
    text = doc.dump(2) + "\n";
  } catch (const nlohmann::json::exception& error) {
    fail(path, std::string("document cannot be serialised: ") + error.what());
  }
  write_text_atomic(path, text);
}

}  // namespace rooflm
