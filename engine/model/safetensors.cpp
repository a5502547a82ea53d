// safetensors reader (mmap, every header field validated) and atomic writer. Format: safetensors.h.
#include "engine/model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/half.h"
#include "common/json_text.h"

namespace rooflm {

static_assert(std::endian::native == std::endian::little, "safetensors bytes are little-endian; so is this host");

namespace fs = std::filesystem;

namespace {

struct DtypeEntry {
  SafetensorsDtype dtype;
  std::string_view name;
  size_t size;
};

constexpr std::array kDtypes = {
    DtypeEntry{SafetensorsDtype::BOOL, "BOOL", 1},    DtypeEntry{SafetensorsDtype::U8, "U8", 1},
    DtypeEntry{SafetensorsDtype::I8, "I8", 1},        DtypeEntry{SafetensorsDtype::F8_E4M3, "F8_E4M3", 1},
    DtypeEntry{SafetensorsDtype::F8_E5M2, "F8_E5M2", 1}, DtypeEntry{SafetensorsDtype::I16, "I16", 2},
    DtypeEntry{SafetensorsDtype::U16, "U16", 2},      DtypeEntry{SafetensorsDtype::F16, "F16", 2},
    DtypeEntry{SafetensorsDtype::BF16, "BF16", 2},    DtypeEntry{SafetensorsDtype::I32, "I32", 4},
    DtypeEntry{SafetensorsDtype::U32, "U32", 4},      DtypeEntry{SafetensorsDtype::F32, "F32", 4},
    DtypeEntry{SafetensorsDtype::F64, "F64", 8},      DtypeEntry{SafetensorsDtype::I64, "I64", 8},
    DtypeEntry{SafetensorsDtype::U64, "U64", 8},
};

const DtypeEntry& dtype_entry(SafetensorsDtype dtype) {
  const auto found = std::find_if(kDtypes.begin(), kDtypes.end(), [&](const DtypeEntry& e) { return e.dtype == dtype; });
  ROOFLM_CHECK(found != kDtypes.end(), "SafetensorsDtype missing from kDtypes");
  return *found;
}

[[noreturn]] void throw_file_error(const fs::path& file, const std::string& what) {
  throw InputError(file.string() + ": " + what);
}

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

}  // namespace

std::string_view safetensors_dtype_name(SafetensorsDtype dtype) { return dtype_entry(dtype).name; }
size_t safetensors_dtype_size(SafetensorsDtype dtype) { return dtype_entry(dtype).size; }

std::optional<SafetensorsDtype> safetensors_dtype_from_name(std::string_view name) {
  for (const DtypeEntry& entry : kDtypes) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

std::string safetensors_shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t SafetensorsTensorInfo::numel() const {
  int64_t count = 1;
  for (const int64_t dim : shape) count *= dim;
  return count;
}

bool safetensors_decode_floats(const SafetensorsTensorInfo& tensor, float* out) {
  const size_t count = static_cast<size_t>(tensor.numel());
  switch (tensor.dtype) {
    case SafetensorsDtype::F32:
      if (count > 0) std::memcpy(out, tensor.bytes, count * sizeof(float));  // `out` may be null when empty
      return true;
    case SafetensorsDtype::F16:
    case SafetensorsDtype::BF16: {
      const bool is_f16 = tensor.dtype == SafetensorsDtype::F16;
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, tensor.bytes + 2 * i, sizeof bits);  // the mapping may be unaligned
        out[i] = is_f16 ? fp16_to_float(bits) : bf16_to_float(bits);
      }
      return true;
    }
    default:
      return false;
  }
}

std::vector<std::byte> safetensors_encode_floats(SafetensorsDtype dtype, std::span<const float> values) {
  ROOFLM_CHECK(dtype == SafetensorsDtype::F32 || dtype == SafetensorsDtype::F16 || dtype == SafetensorsDtype::BF16,
               "safetensors_encode_floats takes F32, F16 or BF16");
  std::vector<std::byte> bytes(values.size() * safetensors_dtype_size(dtype));
  if (dtype == SafetensorsDtype::F32) {
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());  // no null pointers when empty
    return bytes;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const uint16_t bits = dtype == SafetensorsDtype::F16 ? float_to_fp16(values[i]) : float_to_bf16(values[i]);
    std::memcpy(bytes.data() + 2 * i, &bits, sizeof bits);
  }
  return bytes;
}

// ---- SafetensorsFile ---------------------------------------------------------------------------

// The file's bytes: a read-only mapping, or (from memory) a vector of them.
struct SafetensorsFile::Mapping {
  const std::byte* address = nullptr;
  size_t size = 0;
  std::vector<std::byte> owned;  // the bytes of a file given in memory (then nothing is mapped)
  bool mapped = false;
  Mapping(const std::byte* address_in, size_t size_in) : address(address_in), size(size_in), mapped(true) {}
  explicit Mapping(std::vector<std::byte> bytes) : owned(std::move(bytes)) {
    address = owned.data();
    size = owned.size();
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (mapped) munmap(const_cast<std::byte*>(address), size);
  }
};

namespace {

// Reads a header field that must be an integer in [0, INT64_MAX].
std::optional<int64_t> non_negative_integer(const nlohmann::json& value) {
  if (!value.is_number_unsigned()) return std::nullopt;
  const uint64_t integer = value.get<uint64_t>();
  if (integer > static_cast<uint64_t>(kMaxInt64)) return std::nullopt;
  return static_cast<int64_t>(integer);
}

}  // namespace

SafetensorsFile::SafetensorsFile(const fs::path& path) : path_(path) {
  const auto fail = [this](const std::string& what) { throw_file_error(path_, what); };

  const int descriptor = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat file_status {};
  if (::fstat(descriptor, &file_status) != 0 || !S_ISREG(file_status.st_mode)) {
    ::close(descriptor);
    fail("not a regular file");
  }
  const size_t file_size = static_cast<size_t>(file_status.st_size);
  if (file_size < 8) {
    ::close(descriptor);
    fail(std::to_string(file_size) + " bytes, too short for the 8-byte header length");
  }
  void* address = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, descriptor, 0);
  const int mmap_errno = errno;
  ::close(descriptor);
  if (address == MAP_FAILED) fail(std::string("cannot map: ") + std::strerror(mmap_errno));
  mapping_ = std::make_shared<const Mapping>(static_cast<const std::byte*>(address), file_size);
  read_header();
}

SafetensorsFile::SafetensorsFile(const fs::path& origin, std::vector<std::byte> bytes) : path_(origin) {
  if (bytes.size() < 8) {
    throw_file_error(path_, std::to_string(bytes.size()) + " bytes, too short for the 8-byte header length");
  }
  mapping_ = std::make_shared<const Mapping>(std::move(bytes));
  read_header();
}

void SafetensorsFile::read_header() {
  const auto fail = [this](const std::string& what) { throw_file_error(path_, what); };
  const std::byte* const file_bytes = mapping_->address;
  const size_t file_size = mapping_->size;

  uint64_t header_length;
  std::memcpy(&header_length, file_bytes, sizeof header_length);
  // The format's own limit (safetensors refuses headers above 100 MB).
  constexpr uint64_t kMaxHeaderBytes = 100'000'000;
  if (header_length > kMaxHeaderBytes)
    fail("header length " + std::to_string(header_length) + " exceeds the format's limit of " +
         std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_length > file_size - 8) {
    fail("header length " + std::to_string(header_length) + " runs past the end of the file (" +
         std::to_string(file_size) + " bytes)");
  }
  const std::byte* const data = file_bytes + 8 + header_length;  // tensor bytes start here
  const size_t data_size = file_size - 8 - header_length;

  const nlohmann::json header =
      parse_json_text(std::string_view(reinterpret_cast<const char*>(file_bytes + 8), size_t(header_length)),
                      path_.string() + ": header");
  if (!header.is_object()) fail("header is not a JSON object");

  struct ByteRange {
    int64_t begin, end;
    std::string name;
  };
  std::vector<ByteRange> ranges;
  for (const auto& item : header.items()) {  // no structured binding: fail_tensor captures name
    const std::string& name = item.key();
    const nlohmann::json& entry = item.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) fail("__metadata__ is not a JSON object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) fail("__metadata__." + key + " is not a string");
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const auto fail_tensor = [&](const std::string& what) { fail("tensor " + name + ": " + what); };
    if (!entry.is_object()) fail_tensor("entry is not a JSON object");

    SafetensorsTensorInfo info;
    if (!entry.contains("dtype") || !entry.at("dtype").is_string()) fail_tensor("missing \"dtype\" string");
    const std::string dtype_name = entry.at("dtype").get<std::string>();
    const std::optional<SafetensorsDtype> dtype = safetensors_dtype_from_name(dtype_name);
    if (!dtype) fail_tensor("unknown dtype \"" + dtype_name + "\"");
    info.dtype = *dtype;

    if (!entry.contains("shape") || !entry.at("shape").is_array()) fail_tensor("missing \"shape\" array");
    uint64_t expected_bytes = safetensors_dtype_size(info.dtype);
    for (const nlohmann::json& dim_json : entry.at("shape")) {
      const std::optional<int64_t> dim = non_negative_integer(dim_json);
      if (!dim) fail_tensor("shape entry " + dim_json.dump() + " is not a non-negative integer");
      if (__builtin_mul_overflow(expected_bytes, static_cast<uint64_t>(*dim), &expected_bytes)) {
        fail_tensor("shape " + entry.at("shape").dump() + " is too large");
      }
      info.shape.push_back(*dim);
    }

    const nlohmann::json* offsets = entry.contains("data_offsets") ? &entry.at("data_offsets") : nullptr;
    if (offsets == nullptr || !offsets->is_array() || offsets->size() != 2 ||
        !non_negative_integer(offsets->at(0)) || !non_negative_integer(offsets->at(1))) {
      fail_tensor("\"data_offsets\" must be [begin, end], two non-negative integers, got " +
                  (offsets ? offsets->dump() : std::string("nothing")));
    }
    const int64_t begin = *non_negative_integer(offsets->at(0));
    const int64_t end = *non_negative_integer(offsets->at(1));
    if (begin > end) fail_tensor("data_offsets begin " + std::to_string(begin) + " > end " + std::to_string(end));
    if (static_cast<uint64_t>(end) > data_size) {
      fail_tensor("data_offsets end " + std::to_string(end) + " is past the end of the data (" +
                  std::to_string(data_size) + " bytes): the file is truncated");
    }
    info.nbytes = static_cast<size_t>(end - begin);
    if (info.nbytes != expected_bytes) {
      fail_tensor("holds " + std::to_string(info.nbytes) + " bytes but shape " + entry.at("shape").dump() +
                  " of " + dtype_name + " needs " + std::to_string(expected_bytes));
    }
    info.bytes = data + begin;
    if (begin < end) ranges.push_back({begin, end, name});
    tensors_.emplace(name, std::move(info));
  }

  std::sort(ranges.begin(), ranges.end(), [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end) {
      fail("tensors " + ranges[i - 1].name + " [" + std::to_string(ranges[i - 1].begin) + ", " +
           std::to_string(ranges[i - 1].end) + ") and " + ranges[i].name + " [" + std::to_string(ranges[i].begin) +
           ", " + std::to_string(ranges[i].end) + ") overlap");
    }
  }
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> names;
  for (const auto& [name, info] : tensors_) names.push_back(name);
  return names;
}

bool SafetensorsFile::has(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }

const SafetensorsTensorInfo& SafetensorsFile::info(std::string_view name) const {
  const auto found = tensors_.find(name);
  if (found == tensors_.end()) throw InputError(path_.string() + ": no tensor " + std::string(name));
  return found->second;
}

// ---- SafetensorsCheckpoint ---------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> parse_safetensors_index(const std::string& text,
                                                                         const fs::path& origin) {
  const auto fail = [&origin](const std::string& what) { throw_file_error(origin, what); };
  const nlohmann::json index = parse_json_text(text, origin.string());
  if (!index.is_object() || !index.contains("weight_map") || !index.at("weight_map").is_object()) {
    fail("missing \"weight_map\" object");
  }
  std::vector<std::pair<std::string, std::string>> shard_of_tensor;
  for (const auto& [tensor, shard_json] : index.at("weight_map").items()) {
    if (!shard_json.is_string()) fail("weight_map." + tensor + " is not a file name string");
    const std::string shard = shard_json.get<std::string>();
    if (shard.empty() || fs::path(shard).filename() != shard || shard == "." || shard == "..") {
      fail("weight_map." + tensor + " = \"" + shard + "\" is not a file name in the same folder");
    }
    shard_of_tensor.emplace_back(tensor, shard);
  }
  return shard_of_tensor;
}

SafetensorsCheckpoint::SafetensorsCheckpoint(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw InputError(dir.string() + ": not a folder (expected safetensors weights)");
  if (fs::exists(dir / kSingleFileName)) {
    source_ = dir / kSingleFileName;
    files_.emplace_back(source_);
    for (const std::string& name : files_[0].names()) file_index_of_tensor_.emplace(name, 0);
    return;
  }
  if (!fs::exists(dir / kIndexFileName)) {
    throw InputError(dir.string() + ": no " + kSingleFileName + " nor " + kIndexFileName);
  }
  source_ = dir / kIndexFileName;
  const auto fail = [this](const std::string& what) { throw_file_error(source_, what); };
  const std::string text = read_text_file(source_, kMaxSmallJsonFileBytes, "safetensors index");

  std::map<std::string, size_t> file_index_of_shard;
  for (const auto& [tensor, shard] : parse_safetensors_index(text, source_)) {
    auto [found, inserted] = file_index_of_shard.emplace(shard, files_.size());
    if (inserted) {
      if (!fs::exists(dir / shard)) fail("weight_map names shard " + shard + ", which is not in " + dir.string());
      files_.emplace_back(dir / shard);
    }
    if (!files_[found->second].has(tensor)) {
      fail("weight_map puts tensor " + tensor + " in " + shard + ", which does not hold it");
    }
    file_index_of_tensor_.emplace(tensor, found->second);
  }
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> names;
  for (const auto& [name, file_index] : file_index_of_tensor_) names.push_back(name);
  return names;
}

bool SafetensorsCheckpoint::has(std::string_view name) const {
  return file_index_of_tensor_.find(name) != file_index_of_tensor_.end();
}

const SafetensorsFile& SafetensorsCheckpoint::file_of(std::string_view name) const {
  const auto found = file_index_of_tensor_.find(name);
  if (found == file_index_of_tensor_.end()) throw InputError(source_.string() + ": no tensor " + std::string(name));
  return files_[found->second];
}

// ---- writer ------------------------------------------------------------------------------------

void write_safetensors(const fs::path& path, const std::vector<SafetensorsWriteTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string_view> seen;
  uint64_t offset = 0;
  for (const SafetensorsWriteTensor& tensor : tensors) {
    ROOFLM_CHECK(tensor.name != "__metadata__" && seen.insert(tensor.name).second,
                 "tensor name '" + tensor.name + "' is reserved or repeated");
    uint64_t numel = 1;
    for (const int64_t dim : tensor.shape) {
      ROOFLM_CHECK(dim >= 0, "tensor " + tensor.name + " has a negative dimension");
      numel *= static_cast<uint64_t>(dim);
    }
    ROOFLM_CHECK(tensor.bytes.size() == numel * safetensors_dtype_size(tensor.dtype),
                 "tensor " + tensor.name + ": byte count does not match shape and dtype");
    header[tensor.name] = {{"dtype", std::string(safetensors_dtype_name(tensor.dtype))},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.bytes.size()}}};
    offset += tensor.bytes.size();
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');  // tensor data starts 8-byte aligned
  const uint64_t header_length = header_text.size();

  const fs::path temporary = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(&header_length), sizeof header_length);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (const SafetensorsWriteTensor& tensor : tensors) {
      out.write(reinterpret_cast<const char*>(tensor.bytes.data()), static_cast<std::streamsize>(tensor.bytes.size()));
    }
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      throw_file_error(path, "cannot write " + temporary.string());
    }
  }
  std::error_code rename_error;
  fs::rename(temporary, path, rename_error);
  if (rename_error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw InputError(path.string() + ": cannot replace with the written file (" + rename_error.message() + ")");
  }
}

}  // namespace rooflm
