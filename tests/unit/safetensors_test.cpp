// Tests of the safetensors reader and writer: round trips in F16/BF16/F32, a sharded checkpoint,
// and every corrupt-file case producing an InputError that names the file (and tensor), from a
// file or from its bytes in memory; the index text reader.
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/half.h"
#include "engine/model/safetensors.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_text_file;

using test::input_error_message;

SafetensorsWriteTensor float_tensor(std::string name, SafetensorsDtype dtype, std::vector<int64_t> shape,
                                    const std::vector<float>& values) {
  return {std::move(name), dtype, std::move(shape), safetensors_encode_floats(dtype, values)};
}

std::vector<float> decoded(const SafetensorsTensorInfo& info) {
  std::vector<float> values(static_cast<size_t>(info.numel()));
  EXPECT_TRUE(safetensors_decode_floats(info, values.data()));
  return values;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::vector<float> kSample = {1.0f, -2.5f, 0.333333f, 65504.0f, 1e-3f, -0.0f};

TEST(SafetensorsTest, RoundTripF16Bf16F32WithMetadata) {
  TempDir dir;
  const fs::path path = dir.path() / "model.safetensors";
  write_safetensors(path,
                    {float_tensor("a.f16", SafetensorsDtype::F16, {2, 3}, kSample),
                     float_tensor("b.bf16", SafetensorsDtype::BF16, {6}, kSample),
                     float_tensor("c.f32", SafetensorsDtype::F32, {3, 1, 2}, kSample)},
                    {{"format", "pt"}});
  const SafetensorsFile file(path);
  EXPECT_EQ(file.names(), (std::vector<std::string>{"a.f16", "b.bf16", "c.f32"}));
  EXPECT_TRUE(file.has("b.bf16"));
  EXPECT_FALSE(file.has("d"));
  EXPECT_EQ(file.metadata().at("format"), "pt");

  const SafetensorsTensorInfo& f16 = file.info("a.f16");
  EXPECT_EQ(f16.dtype, SafetensorsDtype::F16);
  EXPECT_EQ(f16.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f16.nbytes, 12u);
  uint16_t first_bits;
  std::memcpy(&first_bits, f16.bytes, 2);
  EXPECT_EQ(first_bits, 0x3c00);  // fp16 1.0
  const SafetensorsTensorInfo& bf16 = file.info("b.bf16");
  std::memcpy(&first_bits, bf16.bytes, 2);
  EXPECT_EQ(first_bits, 0x3f80);  // bf16 1.0
  EXPECT_EQ(file.info("c.f32").nbytes, 24u);

  const std::vector<float> f16_values = decoded(f16), bf16_values = decoded(bf16), f32_values = decoded(file.info("c.f32"));
  for (size_t i = 0; i < kSample.size(); ++i) {
    EXPECT_EQ(f16_values[i], round_to_fp16(kSample[i])) << i;
    EXPECT_EQ(bf16_values[i], bf16_to_float(float_to_bf16(kSample[i]))) << i;
    EXPECT_EQ(f32_values[i], kSample[i]) << i;
  }
  EXPECT_EQ(f16_values[2], 0.333251953125f);  // nearest fp16 to 1/3: 1365/4096
  EXPECT_EQ(bf16_values[2], 0.333984375f);    // nearest bf16 to 1/3: 171/512
  EXPECT_TRUE(std::signbit(f16_values[5]));

  // 8-byte header length, header padded to a multiple of 8, then 12 + 12 + 24 data bytes.
  const std::string bytes = read_bytes(path);
  uint64_t header_length;
  std::memcpy(&header_length, bytes.data(), 8);
  EXPECT_EQ(header_length % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_length + 48);
  EXPECT_EQ(bytes[8], '{');
}

TEST(SafetensorsTest, ScalarEmptyAndOverwrite) {
  TempDir dir;
  const fs::path path = dir.path() / "x.safetensors";
  write_safetensors(path, {float_tensor("old", SafetensorsDtype::F32, {1}, {7.0f})});
  write_safetensors(path, {float_tensor("scalar", SafetensorsDtype::F32, {}, {4.5f}),
                           float_tensor("empty", SafetensorsDtype::F16, {0, 4}, {}),
                           float_tensor("empty32", SafetensorsDtype::F32, {4, 0}, {})});
  const SafetensorsFile file(path);
  EXPECT_FALSE(file.has("old"));
  EXPECT_EQ(file.info("scalar").numel(), 1);
  EXPECT_EQ(decoded(file.info("scalar"))[0], 4.5f);
  EXPECT_EQ(file.info("empty").numel(), 0);
  EXPECT_EQ(file.info("empty").nbytes, 0u);
  // Found by the safetensors fuzz target (decoding) and the sanitizer job (encoding "empty32" above):
  // an empty F32 tensor to or from an empty vector (whose data() is null) called memcpy with a null
  // pointer, undefined behaviour that UBSan reports.
  EXPECT_TRUE(decoded(file.info("empty32")).empty());
  EXPECT_TRUE(decoded(file.info("empty")).empty());
  // The temporary file was renamed away: only the result is left.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(SafetensorsTest, NonFloatDtypeIsNotDecoded) {
  TempDir dir;
  const fs::path path = dir.path() / "i8.safetensors";
  write_safetensors(path, {{"q", SafetensorsDtype::I8, {3}, {std::byte{1}, std::byte{2}, std::byte{0xff}}}});
  const SafetensorsFile file(path);
  float out[3] = {9, 9, 9};
  EXPECT_FALSE(safetensors_decode_floats(file.info("q"), out));
  EXPECT_EQ(out[0], 9.0f);
  EXPECT_EQ(safetensors_dtype_name(file.info("q").dtype), "I8");
  EXPECT_EQ(static_cast<int8_t>(file.info("q").bytes[2]), -1);
}

TEST(SafetensorsTest, DtypeTable) {
  EXPECT_EQ(safetensors_dtype_from_name("BF16"), SafetensorsDtype::BF16);
  EXPECT_EQ(safetensors_dtype_from_name("F17"), std::nullopt);
  EXPECT_EQ(safetensors_dtype_size(SafetensorsDtype::F64), 8u);
  EXPECT_EQ(safetensors_dtype_size(SafetensorsDtype::F16), 2u);
  EXPECT_EQ(safetensors_dtype_size(SafetensorsDtype::F8_E4M3), 1u);
  EXPECT_EQ(safetensors_dtype_name(SafetensorsDtype::F8_E5M2), "F8_E5M2");
}

TEST(SafetensorsTest, WriterRejectsMismatchedBytes) {
  TempDir dir;
  EXPECT_THROW(write_safetensors(dir.path() / "x.safetensors",
                                 {{"t", SafetensorsDtype::F32, {2}, std::vector<std::byte>(4)}}),
               std::logic_error);
  EXPECT_THROW(write_safetensors(dir.path() / "x.safetensors",
                                 {float_tensor("t", SafetensorsDtype::F32, {1}, {1.0f}),
                                  float_tensor("t", SafetensorsDtype::F32, {1}, {1.0f})}),
               std::logic_error);
  EXPECT_FALSE(fs::exists(dir.path() / "x.safetensors"));
}

TEST(SafetensorsTest, ShardedCheckpointOpensEachShardOnce) {
  TempDir dir;
  write_safetensors(dir.path() / "model-00001-of-00002.safetensors",
                    {float_tensor("a", SafetensorsDtype::F16, {2}, {1.0f, 2.0f}),
                     float_tensor("b", SafetensorsDtype::F16, {1}, {3.0f})});
  write_safetensors(dir.path() / "model-00002-of-00002.safetensors",
                    {float_tensor("c", SafetensorsDtype::BF16, {2, 2}, {4.0f, 5.0f, 6.0f, 7.0f})});
  write_text_file(dir.path() / "model.safetensors.index.json",
                  R"({"metadata": {"total_size": 14}, "weight_map": {
                        "a": "model-00001-of-00002.safetensors",
                        "b": "model-00001-of-00002.safetensors",
                        "c": "model-00002-of-00002.safetensors"}})");
  const SafetensorsCheckpoint checkpoint(dir.path());
  EXPECT_EQ(checkpoint.source(), dir.path() / "model.safetensors.index.json");
  EXPECT_EQ(checkpoint.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(&checkpoint.file_of("a"), &checkpoint.file_of("b"));  // one SafetensorsFile per shard
  EXPECT_NE(&checkpoint.file_of("a"), &checkpoint.file_of("c"));
  EXPECT_EQ(checkpoint.file_of("c").path().filename(), "model-00002-of-00002.safetensors");
  EXPECT_EQ(decoded(checkpoint.info("a")), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(decoded(checkpoint.info("c")), (std::vector<float>{4.0f, 5.0f, 6.0f, 7.0f}));
  EXPECT_FALSE(checkpoint.has("d"));
  const std::string message = input_error_message([&] { checkpoint.info("d"); });
  EXPECT_NE(message.find("model.safetensors.index.json: no tensor d"), std::string::npos) << message;
}

TEST(SafetensorsTest, SingleFileCheckpointIsPreferredOverIndex) {
  TempDir dir;
  write_safetensors(dir.path() / "model.safetensors", {float_tensor("w", SafetensorsDtype::F32, {1}, {2.0f})});
  write_text_file(dir.path() / "model.safetensors.index.json", "not even JSON");
  const SafetensorsCheckpoint checkpoint(dir.path());
  EXPECT_EQ(checkpoint.source(), dir.path() / "model.safetensors");
  EXPECT_EQ(checkpoint.names(), std::vector<std::string>{"w"});
}

TEST(SafetensorsTest, CheckpointErrorsNameFolderIndexAndShard) {
  TempDir dir;
  std::string message = input_error_message([&] { SafetensorsCheckpoint{dir.path()}; });
  EXPECT_NE(message.find(dir.path().string() + ": no model.safetensors nor model.safetensors.index.json"),
            std::string::npos) << message;
  message = input_error_message([&] { SafetensorsCheckpoint{dir.path() / "absent"}; });
  EXPECT_NE(message.find("absent: not a folder"), std::string::npos) << message;

  write_safetensors(dir.path() / "shard1.safetensors", {float_tensor("a", SafetensorsDtype::F32, {1}, {1.0f})});
  struct Case {
    std::string index_text;
    std::string expected_text;
  };
  const std::vector<Case> cases = {
      {"{\"weight_map\": ", "JSON syntax error"},
      {R"({"metadata": {}})", "missing \"weight_map\" object"},
      {R"({"metadata": {"total_size": 1e400}, "weight_map": {}})", "1:29: number 1e400 does not fit a double"},  // found by fuzzing
      {R"({"weight_map": {"a": 3}})", "weight_map.a is not a file name string"},
      {R"({"weight_map": {"a": "../shard1.safetensors"}})", "is not a file name in the same folder"},
      {R"({"weight_map": {"a": "shard2.safetensors"}})", "names shard shard2.safetensors, which is not in"},
      {R"({"weight_map": {"b": "shard1.safetensors"}})", "puts tensor b in shard1.safetensors, which does not hold it"},
  };
  for (const Case& test_case : cases) {
    write_text_file(dir.path() / "model.safetensors.index.json", test_case.index_text);
    message = input_error_message([&] { SafetensorsCheckpoint{dir.path()}; });
    EXPECT_NE(message.find("model.safetensors.index.json:"), std::string::npos) << message;
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << message;
  }
  // A corrupt shard is reported by the shard's own name.
  write_text_file(dir.path() / "shard1.safetensors", "abc");
  write_text_file(dir.path() / "model.safetensors.index.json", R"({"weight_map": {"a": "shard1.safetensors"}})");
  message = input_error_message([&] { SafetensorsCheckpoint{dir.path()}; });
  EXPECT_NE(message.find("shard1.safetensors: 3 bytes"), std::string::npos) << message;
}

// A safetensors file from raw parts: header length (default: the header's size), header, data.
std::string raw_file(const std::string& header, size_t data_bytes, std::optional<uint64_t> header_length = {}) {
  const uint64_t length = header_length.value_or(header.size());
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &length, 8);
  return bytes + header + std::string(data_bytes, '\x01');
}

std::vector<std::byte> bytes_of(const std::string& text) {
  const auto* first = reinterpret_cast<const std::byte*>(text.data());
  return {first, first + text.size()};
}

TEST(SafetensorsTest, InMemoryFileReadsLikeTheMappedOne) {
  TempDir dir;
  const fs::path path = dir.path() / "model.safetensors";
  write_safetensors(path, {float_tensor("a", SafetensorsDtype::F16, {2, 3}, kSample),
                           float_tensor("b", SafetensorsDtype::F32, {}, {7.0f})}, {{"format", "pt"}});
  const SafetensorsFile mapped(path);
  std::vector<std::byte> bytes = bytes_of(read_bytes(path));
  const SafetensorsFile in_memory("in-memory.safetensors", std::move(bytes));
  EXPECT_EQ(in_memory.path(), "in-memory.safetensors");
  EXPECT_EQ(in_memory.names(), mapped.names());
  EXPECT_EQ(in_memory.metadata(), mapped.metadata());
  for (const std::string& name : mapped.names()) {
    EXPECT_EQ(in_memory.info(name).shape, mapped.info(name).shape) << name;
    EXPECT_EQ(decoded(in_memory.info(name)), decoded(mapped.info(name))) << name;
  }
  const std::string message = input_error_message([&] { in_memory.info("c"); });
  EXPECT_NE(message.find("in-memory.safetensors: no tensor c"), std::string::npos) << message;
}

TEST(SafetensorsTest, IndexTextGivesEachTensorsShard) {
  EXPECT_EQ(parse_safetensors_index(R"({"metadata": {}, "weight_map": {"b": "s2.safetensors", "a": "s1.safetensors"}})",
                                    "x/model.safetensors.index.json"),
            (std::vector<std::pair<std::string, std::string>>{{"a", "s1.safetensors"}, {"b", "s2.safetensors"}}));
  const std::string message = input_error_message(
      [] { parse_safetensors_index(R"({"weight_map": {"a": "/etc/passwd"}})", "x/model.safetensors.index.json"); });
  EXPECT_NE(message.find("x/model.safetensors.index.json: weight_map.a = \"/etc/passwd\" is not a file name"),
            std::string::npos) << message;
}

TEST(SafetensorsTest, CorruptFilesNameFileAndTensor) {
  struct Case {
    std::string description;
    std::string file_bytes;
    std::string expected_text;
  };
  const std::string ok_entry = R"("ok": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})";
  const std::vector<Case> cases = {
      {"empty file", "", "0 bytes, too short for the 8-byte header length"},
      {"shorter than 8 bytes", "abc", "3 bytes, too short"},
      {"header length past the end", raw_file("{}", 0, 1000), "header length 1000 runs past the end of the file (10 bytes)"},
      {"huge header length", raw_file("{}", 0, ~uint64_t{0}), "exceeds the format's limit"},
      {"header not JSON", raw_file("{\"a\": ", 0), "header:1:7: JSON syntax error"},
      {"header nested too deep", raw_file(std::string(65, '[') + std::string(65, ']'), 0), "header:1:65: JSON nested deeper than 64"},
      {"header number beyond a double", raw_file(R"({"w": {"dtype": "F32", "shape": [1e999], "data_offsets": [0, 4]}})", 4),
       "header:1:34: number 1e999 does not fit a double"},
      {"header duplicate tensor", raw_file("{" + ok_entry + ", " + ok_entry + "}", 8), "duplicate key \"ok\""},
      {"header length above 100 MB", raw_file("{}", 0, 100'000'001), "exceeds the format's limit of 100000000 bytes"},
      {"header not an object", raw_file("[1, 2]", 0), "header is not a JSON object"},
      {"entry not an object", raw_file(R"({"w": 5})", 0), "tensor w: entry is not a JSON object"},
      {"missing dtype", raw_file(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4), "tensor w: missing \"dtype\""},
      {"unknown dtype", raw_file(R"({"w": {"dtype": "F17", "shape": [1], "data_offsets": [0, 4]}})", 4),
       "tensor w: unknown dtype \"F17\""},
      {"shape not an array", raw_file(R"({"w": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})", 4),
       "tensor w: missing \"shape\" array"},
      {"negative dimension", raw_file(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4),
       "tensor w: shape entry -1 is not a non-negative integer"},
      {"shape overflows", raw_file(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})", 4),
       "tensor w: shape [4294967296,4294967296] is too large"},
      {"offsets missing", raw_file(R"({"w": {"dtype": "F32", "shape": [1]}})", 4), "tensor w: \"data_offsets\" must be"},
      {"one offset", raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}})", 4),
       "tensor w: \"data_offsets\" must be [begin, end], two non-negative integers, got [4]"},
      {"offset a string", raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})", 4),
       "tensor w: \"data_offsets\" must be"},
      {"negative offset", raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", 4),
       "tensor w: \"data_offsets\" must be"},
      {"begin after end", raw_file(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8),
       "tensor w: data_offsets begin 8 > end 4"},
      {"truncated", raw_file(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 10),
       "tensor w: data_offsets end 16 is past the end of the data (10 bytes): the file is truncated"},
      {"size mismatch", raw_file(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8),
       "tensor w: holds 8 bytes but shape [3] of F32 needs 12"},
      {"overlap", raw_file("{" + ok_entry + R"(, "w": {"dtype": "F16", "shape": [4], "data_offsets": [4, 12]}})", 12),
       "tensors ok [0, 8) and w [4, 12) overlap"},
      {"metadata not an object", raw_file(R"({"__metadata__": 3})", 0), "__metadata__ is not a JSON object"},
      {"metadata value not a string", raw_file(R"({"__metadata__": {"step": 3}})", 0), "__metadata__.step is not a string"},
      // found by the safetensors fuzz target: nlohmann's out_of_range escaped the reader
      {"number beyond a double", raw_file(R"({"w": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 4]}})", 4),
       "corrupt.safetensors: header:1:34: number 1e400 does not fit a double"},
  };
  TempDir dir;
  for (const Case& test_case : cases) {
    const fs::path path = dir.path() / "corrupt.safetensors";
    write_text_file(path, test_case.file_bytes);
    const std::string message = input_error_message([&] { SafetensorsFile{path}; });
    EXPECT_NE(message.find(path.string() + ": "), std::string::npos) << test_case.description << ": " << message;
    EXPECT_NE(message.find(test_case.expected_text), std::string::npos) << test_case.description << ": " << message;
    // The in-memory reader (what the fuzz target runs) says the same, word for word.
    EXPECT_EQ(input_error_message([&] { SafetensorsFile(path, bytes_of(test_case.file_bytes)); }), message)
        << test_case.description;
  }
  // Control: the same layout with consistent numbers opens.
  write_text_file(dir.path() / "good.safetensors", raw_file("{" + ok_entry + "}", 8));
  EXPECT_EQ(SafetensorsFile(dir.path() / "good.safetensors").info("ok").nbytes, 8u);
}

TEST(SafetensorsTest, TruncatedWrittenFileIsRejected) {
  TempDir dir;
  const fs::path path = dir.path() / "model.safetensors";
  write_safetensors(path, {float_tensor("w", SafetensorsDtype::F32, {4}, {1, 2, 3, 4})});
  fs::resize_file(path, fs::file_size(path) - 1);
  const std::string message = input_error_message([&] { SafetensorsFile{path}; });
  EXPECT_NE(message.find(path.string() + ": tensor w: data_offsets end 16 is past the end of the data (15 bytes)"),
            std::string::npos) << message;
}

TEST(SafetensorsTest, UnopenableFilesAndMissingTensorNameTheFile) {
  TempDir dir;
  std::string message = input_error_message([&] { SafetensorsFile{dir.path() / "nope.safetensors"}; });
  EXPECT_NE(message.find("nope.safetensors: cannot open"), std::string::npos) << message;
  message = input_error_message([&] { SafetensorsFile{dir.path()}; });
  EXPECT_NE(message.find(dir.path().string() + ": not a regular file"), std::string::npos) << message;
  write_safetensors(dir.path() / "a.safetensors", {float_tensor("w", SafetensorsDtype::F32, {1}, {1})});
  const SafetensorsFile file(dir.path() / "a.safetensors");
  message = input_error_message([&] { file.info("v"); });
  EXPECT_NE(message.find("a.safetensors: no tensor v"), std::string::npos) << message;
}

}  // namespace
}  // namespace rooflm
