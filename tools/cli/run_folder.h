// The output folder of `rooflm run` / `rooflm profile` without --out: a fresh
// out/<name>/<UTC timestamp> (e.g. out/quickstart/20261202T184107Z, "-2", "-3", ... appended when
// it exists), so two runs of one scenario (another backend, another commit) never overwrite each
// other; out/<name>/latest is a symlink to the newest finished one, replaced atomically.
#pragma once

#include <filesystem>
#include <string>

namespace rooflm {

class RunFolder {
 public:
  // `out` given: that folder (checked writable, kept as it is, no `latest`). Empty: a fresh
  // timestamped folder under `parent` is created at once (so a concurrent run picks another one).
  RunFolder(const std::string& out, const std::filesystem::path& parent);
  ~RunFolder();  // a fresh folder that finish() did not keep is removed when still empty
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Points parent/latest at the folder (a fresh one only); returns the line to print, e.g.
  // "latest: out/quickstart/latest -> 20261202T184107Z", or "" with --out.
  std::string finish();

 private:
  std::filesystem::path path_;
  bool fresh_ = false, kept_ = false;
};

// "20261202T184107Z": the current UTC time in ISO 8601 basic format (no ':' in file names).
std::string utc_folder_stamp();

// Makes `link` a symlink to `target` atomically (a temporary link renamed over it). Throws
// std::runtime_error naming `link` when it cannot (e.g. `link` is a real folder).
void replace_symlink(const std::filesystem::path& link, const std::filesystem::path& target);

}  // namespace rooflm
