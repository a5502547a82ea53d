// Tests of the GPU spec files and their lookup (engine/roofline/gpu_spec.h).
// Run: build/tests/rooflm_unit_tests --gtest_filter='RooflineGpuSpec*' (from the repo root).
#include <cstdlib>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/roofline/gpu_spec.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

// Points ROOFLM_SOURCE_DIR at `dir` for the lifetime of the object, then restores it.
class SourceDirOverride {
 public:
  explicit SourceDirOverride(const std::filesystem::path& dir) {
    if (const char* old = std::getenv("ROOFLM_SOURCE_DIR")) previous_ = old;
    ::setenv("ROOFLM_SOURCE_DIR", dir.c_str(), 1);
  }
  ~SourceDirOverride() {
    if (previous_.empty()) {
      ::unsetenv("ROOFLM_SOURCE_DIR");
    } else {
      ::setenv("ROOFLM_SOURCE_DIR", previous_.c_str(), 1);
    }
  }

 private:
  std::string previous_;
};

// The error message of `gpu_spec(name)`, or "" when it did not throw InputError.
std::string gpu_spec_error(std::string_view name) {
  try {
    gpu_spec(name);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

const char* const kA10Json = R"({
  "name": "a10", "display_name": "NVIDIA A10", "match": ["NVIDIA A10"],
  "memory_bandwidth_bytes_per_s": 600e9, "fp16_tensor_flops_per_s": 125e12,
  "int8_tensor_ops_per_s": 250e12, "fp32_flops_per_s": 31.2e12,
  "memory_bytes": 25769803776, "l2_bytes": 6291456, "sm_count": 72, "source": "datasheet"
})";

TEST(RooflineGpuSpec, EverySpecFileLoadsWithEveryFieldPositive) {
  const std::vector<GpuSpec> specs = load_gpu_specs();
  std::set<std::string> names;
  for (const GpuSpec& spec : specs) {
    SCOPED_TRACE(spec.name);
    names.insert(spec.name);
    EXPECT_FALSE(spec.display_name.empty());
    EXPECT_FALSE(spec.match.empty());
    EXPECT_FALSE(spec.source.empty());
    EXPECT_GT(spec.memory_bandwidth_bytes_per_s, 0);
    EXPECT_GT(spec.fp16_tensor_flops_per_s, 0);
    EXPECT_GT(spec.int8_tensor_ops_per_s, 0);
    EXPECT_GT(spec.fp32_flops_per_s, 0);
    EXPECT_GT(spec.memory_bytes, 0);
    EXPECT_GT(spec.l2_bytes, 0);
    EXPECT_GT(spec.sm_count, 0);
    // Dense int8 is about twice dense fp16 (four times on the RTX 4090, whose fp16 figure is the
    // fp32-accumulate one): a sparsity figure copied into one column breaks the ratio.
    EXPECT_NEAR(spec.int8_tensor_ops_per_s / spec.fp16_tensor_flops_per_s, spec.name == "rtx4090" ? 4.0 : 2.0,
                0.05);
    EXPECT_GT(spec.fp16_tensor_flops_per_s, spec.fp32_flops_per_s);
    // Every match string leads back to its own spec.
    for (const std::string& device_name : spec.match) EXPECT_EQ(match_gpu_spec(device_name)->name, spec.name);
  }
  const std::set<std::string> expected = {"a10",      "a100-40gb", "a100-80gb", "h100-pcie", "h100-sxm",
                                          "h200",     "l4",        "l40s",      "rtx4090"};
  EXPECT_EQ(names, expected);
}

TEST(RooflineGpuSpec, DatasheetFiguresOfA10AndH100Sxm) {
  const GpuSpec a10 = gpu_spec("a10");
  EXPECT_DOUBLE_EQ(a10.memory_bandwidth_bytes_per_s, 600e9);
  EXPECT_DOUBLE_EQ(a10.fp16_tensor_flops_per_s, 125e12);
  EXPECT_DOUBLE_EQ(a10.int8_tensor_ops_per_s, 250e12);
  EXPECT_DOUBLE_EQ(a10.fp32_flops_per_s, 31.2e12);
  EXPECT_EQ(a10.memory_bytes, 24LL << 30);
  EXPECT_EQ(a10.l2_bytes, 6LL << 20);
  EXPECT_EQ(a10.sm_count, 72);

  const GpuSpec h100 = gpu_spec("h100-sxm");
  EXPECT_DOUBLE_EQ(h100.memory_bandwidth_bytes_per_s, 3.35e12);
  EXPECT_DOUBLE_EQ(h100.fp16_tensor_flops_per_s, 989.4e12);
  EXPECT_DOUBLE_EQ(h100.int8_tensor_ops_per_s, 1979e12);
  EXPECT_DOUBLE_EQ(h100.fp32_flops_per_s, 66.9e12);
  EXPECT_EQ(h100.memory_bytes, 80LL << 30);
  EXPECT_EQ(h100.l2_bytes, 50LL << 20);
  EXPECT_EQ(h100.sm_count, 132);
}

TEST(RooflineGpuSpec, Fp8PeakOnHopperAndAdaIsTwiceTheirFp16Peak) {
  // The optional field: Hopper (H100, H200) and Ada (L4, L40S, RTX 4090) have FP8 tensor cores,
  // Ampere (A10, A100) has none. Dense FP8 runs at twice dense FP16 with the same accumulator.
  for (const GpuSpec& spec : load_gpu_specs()) {
    SCOPED_TRACE(spec.name);
    const bool ampere = spec.name.starts_with("a10");
    ASSERT_EQ(spec.fp8_tensor_flops_per_s.has_value(), !ampere);
    if (!ampere) EXPECT_NEAR(*spec.fp8_tensor_flops_per_s / spec.fp16_tensor_flops_per_s, 2.0, 0.05);
    EXPECT_EQ(spec.to_json()["fp8_tensor_flops_per_s"].is_null(), ampere);
  }
  EXPECT_DOUBLE_EQ(*gpu_spec("h200").fp8_tensor_flops_per_s, 1979e12);
  EXPECT_DOUBLE_EQ(*gpu_spec("h100-sxm").fp8_tensor_flops_per_s, 1979e12);
  EXPECT_DOUBLE_EQ(*gpu_spec("h100-pcie").fp8_tensor_flops_per_s, 1513e12);
}

TEST(RooflineGpuSpec, MatchesDeviceNamesWholeAndOnlyWhole) {
  EXPECT_EQ(match_gpu_spec("NVIDIA H100 80GB HBM3")->name, "h100-sxm");
  EXPECT_EQ(match_gpu_spec("H100 PCIe")->name, "h100-pcie");
  EXPECT_EQ(match_gpu_spec("  nvidia a10 ")->name, "a10");
  EXPECT_EQ(match_gpu_spec("NVIDIA A100-SXM4-40GB")->name, "a100-40gb");  // not "a10"
  EXPECT_EQ(match_gpu_spec("NVIDIA A100-SXM4-80GB")->name, "a100-80gb");
  EXPECT_EQ(match_gpu_spec("NVIDIA L40S")->name, "l40s");                 // not "l4"
  EXPECT_FALSE(match_gpu_spec("NVIDIA H200 NVL").has_value());           // other clocks: no guess
  EXPECT_FALSE(match_gpu_spec("NVIDIA H100 80GB HBM3 MIG 1g.10gb").has_value());
  EXPECT_FALSE(match_gpu_spec("").has_value());
}

TEST(RooflineGpuSpec, LooksUpByNameCaseInsensitivelyOrByDeviceName) {
  EXPECT_EQ(gpu_spec("H100-SXM").name, "h100-sxm");
  EXPECT_EQ(gpu_spec("NVIDIA GeForce RTX 4090").name, "rtx4090");
}

TEST(RooflineGpuSpec, UnknownNameListsNamesAndSuggestsNearest) {
  std::string message = gpu_spec_error("h100-sx");
  EXPECT_NE(message.find("unknown GPU \"h100-sx\""), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean \"h100-sxm\""), std::string::npos) << message;
  EXPECT_NE(message.find("a10, a100-40gb, a100-80gb"), std::string::npos) << message;
  // A prefix of several names suggests them all rather than a near miss ("h200").
  message = gpu_spec_error("h100");
  EXPECT_NE(message.find("did you mean \"h100-pcie\" or \"h100-sxm\"?"), std::string::npos) << message;
}

TEST(RooflineGpuSpec, ReadsTheFolderNamedByRooflmSourceDir) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "engine/roofline/gpus/a10.json", kA10Json);
  SourceDirOverride override_source_dir(dir.path());
  const std::vector<GpuSpec> specs = load_gpu_specs();
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].name, "a10");
  EXPECT_EQ(gpu_spec_dir(), dir.path() / "engine/roofline/gpus");
}

// Loads a folder holding one file `name`.json with `text`; returns the InputError message or "".
std::string load_error(const std::string& name, const std::string& text) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "engine/roofline/gpus" / (name + ".json"), text);
  SourceDirOverride override_source_dir(dir.path());
  try {
    load_gpu_specs();
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(RooflineGpuSpec, MalformedFileErrorsNameFileFieldAndValue) {
  std::string message = load_error("a10", replaced(kA10Json, R"("sm_count": 72, )", ""));
  EXPECT_NE(message.find("a10.json: missing required field \"sm_count\""), std::string::npos) << message;

  message = load_error("a10", replaced(kA10Json, "600e9", "-600e9"));
  EXPECT_NE(message.find("\"memory_bandwidth_bytes_per_s\" = -6"), std::string::npos) << message;
  EXPECT_NE(message.find("must be > 0"), std::string::npos) << message;

  message = load_error("a10", replaced(kA10Json, "\"l2_bytes\": 6291456", "\"l2_bytes\": \"6MB\""));
  EXPECT_NE(message.find("\"l2_bytes\" must be an integer, got \"6MB\""), std::string::npos) << message;

  message = load_error("a10", replaced(kA10Json, "\"source\"", "\"sorce\": 1, \"source\""));
  EXPECT_NE(message.find("unknown field \"sorce\""), std::string::npos) << message;

  message = load_error("b10", kA10Json);
  EXPECT_NE(message.find("b10.json: field \"name\" = \"a10\" must equal the file name \"b10\""), std::string::npos)
      << message;

  message = load_error("a10", "{ not json");
  EXPECT_NE(message.find("a10.json:1:4: JSON syntax error"), std::string::npos) << message;
}

}  // namespace
}  // namespace rooflm
