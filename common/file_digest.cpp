// FNV-1a (64-bit) over a byte string or a file's bytes, as "fnv1a64:<16 hex digits>".
#include "common/file_digest.h"
#include "common/json_text.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <vector>

namespace rooflm {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t fnv1a(uint64_t hash, const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    hash ^= uint64_t(static_cast<unsigned char>(data[i]));
    hash *= kFnvPrime;
  }
  return hash;
}

std::string digest_text(uint64_t hash) {
  char text[32];
  std::snprintf(text, sizeof text, "fnv1a64:%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace

std::string content_digest(std::string_view bytes) { return digest_text(fnv1a(kFnvOffset, bytes.data(), bytes.size())); }

std::string file_digest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw JsonTextError(JsonTextError::Kind::file, "cannot open " + file.string() + " to digest it");
  uint64_t hash = kFnvOffset;
  std::vector<char> chunk(size_t(1) << 16);
  while (in.read(chunk.data(), std::streamsize(chunk.size())) || in.gcount() > 0)
    hash = fnv1a(hash, chunk.data(), size_t(in.gcount()));
  if (in.bad()) throw JsonTextError(JsonTextError::Kind::file, "reading " + file.string() + " failed while digesting it");
  return digest_text(hash);
}

}  // namespace rooflm
