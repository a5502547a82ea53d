// file_digest: names a data file's content (not its path), so results written in two checkouts of
// the same trace compare equal and a changed trace does not.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace rooflm {

// "fnv1a64:" and 16 hex digits of FNV-1a (64-bit) over the bytes. It identifies content; it is
// not a cryptographic hash.
std::string content_digest(std::string_view bytes);

// content_digest of a file's bytes, read in chunks. Throws JsonTextError (kind file) when the file
// cannot be read.
std::string file_digest(const std::filesystem::path& file);

}  // namespace rooflm
