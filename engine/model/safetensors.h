// safetensors files: a memory-mapped, fully validated reader (one file, or a sharded checkpoint
// through model.safetensors.index.json) and an atomic writer.
// Format: 8-byte little-endian header length N, N bytes of JSON mapping tensor name ->
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the byte after the header),
// optional "__metadata__" (string -> string), then the tensor bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rooflm {

enum class SafetensorsDtype { BOOL, U8, I8, F8_E4M3, F8_E5M2, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

std::string_view safetensors_dtype_name(SafetensorsDtype dtype);  // "F16", ...
size_t safetensors_dtype_size(SafetensorsDtype dtype);             // bytes per element
std::optional<SafetensorsDtype> safetensors_dtype_from_name(std::string_view name);

// "[4096, 11008]": a shape as error messages write it.
std::string safetensors_shape_text(const std::vector<int64_t>& shape);

struct SafetensorsTensorInfo {
  SafetensorsDtype dtype = SafetensorsDtype::F32;
  std::vector<int64_t> shape;
  const std::byte* bytes = nullptr;  // into the file's read-only mapping; valid while the file is open
  size_t nbytes = 0;

  int64_t numel() const;  // product of shape (1 for a scalar)
};

// Converts a tensor of dtype F16, BF16 or F32 to floats (`out` holds numel() values). Returns false,
// writing nothing, for any other dtype.
bool safetensors_decode_floats(const SafetensorsTensorInfo& tensor, float* out);
// Encodes floats as F16, BF16 (round to nearest even) or F32 little-endian bytes.
std::vector<std::byte> safetensors_encode_floats(SafetensorsDtype dtype, std::span<const float> values);

// One .safetensors file, mapped read-only. The constructor validates the whole header and throws
// InputError naming the file (and the tensor) on any problem.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  // The same from a file's bytes in memory (kept by the object); `origin` names it in errors.
  SafetensorsFile(const std::filesystem::path& origin, std::vector<std::byte> bytes);

  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> names() const;  // sorted
  bool has(std::string_view name) const;
  const SafetensorsTensorInfo& info(std::string_view name) const;  // InputError naming file and tensor if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  struct Mapping;
  void read_header();  // fills tensors_ and metadata_ from mapping_

  std::filesystem::path path_;
  std::shared_ptr<const Mapping> mapping_;
  std::map<std::string, SafetensorsTensorInfo, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

// The "weight_map" of a model.safetensors.index.json text: (tensor, shard file name) pairs, each
// shard a plain file name (no folder). Throws InputError naming `origin` on any problem.
std::vector<std::pair<std::string, std::string>> parse_safetensors_index(const std::string& text,
                                                                         const std::filesystem::path& origin);

// A checkpoint folder: `model.safetensors`, or `model.safetensors.index.json`
// ({"weight_map": {tensor: shard file}}) with each shard opened once.
class SafetensorsCheckpoint {
 public:
  static constexpr const char* kSingleFileName = "model.safetensors";
  static constexpr const char* kIndexFileName = "model.safetensors.index.json";

  // Throws InputError naming the folder when it holds neither file, or naming the index / shard.
  explicit SafetensorsCheckpoint(const std::filesystem::path& dir);

  // The single file or the index: what error messages about the whole checkpoint name.
  const std::filesystem::path& source() const { return source_; }
  std::vector<std::string> names() const;  // sorted
  bool has(std::string_view name) const;
  const SafetensorsFile& file_of(std::string_view name) const;  // InputError naming source() if absent
  const SafetensorsTensorInfo& info(std::string_view name) const { return file_of(name).info(name); }

 private:
  std::filesystem::path source_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t, std::less<>> file_index_of_tensor_;
};

struct SafetensorsWriteTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::F32;
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;  // numel * dtype size, little-endian
};

// Writes `tensors` (in this order, header padded to 8 bytes) to a temporary file beside `path`
// and renames it over `path`, so readers never see a half-written file.
void write_safetensors(const std::filesystem::path& path, const std::vector<SafetensorsWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace rooflm
