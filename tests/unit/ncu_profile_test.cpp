// Nsight Compute's raw CSV (engine/profile/ncu_csv.h) and its merge beside the cost model
// (engine/profile/profile_merge.h) on the committed fixtures (tests/fixtures/ncu/), by hand.
// Run: build/tests/rooflm_unit_tests --gtest_filter='NcuCsv*:NcuProfile*'
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/source_dir.h"
#include "engine/profile/ncu_csv.h"
#include "engine/profile/profile_merge.h"

namespace rooflm {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(source_dir() / "tests/fixtures/ncu" / name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(NcuCsv, ReadsLaunchesInBaseUnitsSkippingTheUnitsRow) {
  const std::vector<NcuLaunch> l = parse_ncu_raw_csv(fixture("decode_raw.csv"), ncu_profile_metrics(), "decode_raw.csv");
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[0].id, 0);
  EXPECT_EQ(l[0].kernel, "void rooflm::gemv_f16_kernel<4>(const __half *, const __half *, __half *, int, int)");
  EXPECT_EQ(l[0].metrics.at("gpu__time_duration.sum"), 9216);
  EXPECT_EQ(l[0].metrics.at("dram__bytes_read.sum"), 25190400);  // "25,190,400"
  EXPECT_EQ(l[4].metrics.at("dram__bytes_write.sum"), 0);
  EXPECT_DOUBLE_EQ(l[1].metrics.at("lts__t_sector_hit_rate.pct"), 30.1);
  EXPECT_EQ(l[0].metrics.size(), ncu_profile_metrics().size());
}

TEST(NcuCsv, QuotingAndBadFilesNameTheRow) {
  EXPECT_EQ(split_csv_line(R"("a,b","c""d",,e)"), (std::vector<std::string>{"a,b", "c\"d", "", "e"}));
  auto message = [](const std::string& text) {
    try {
      parse_ncu_raw_csv(text, ncu_profile_metrics(), "p.csv");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("").find("p.csv: empty"), std::string::npos);
  EXPECT_NE(message("\"a\",\"b\"\n").find("no \"ID\""), std::string::npos);
  EXPECT_NE(message("\"ID\",\"Kernel Name\"\n\"1\"\n").find("p.csv row 2: 1 fields, the header has 2"), std::string::npos);
  EXPECT_NE(message("\"ID\",\"Kernel Name\",\"gpu__time_duration.sum\"\n\"1\",\"k\",\"fast\"\n")
                .find("row 2: gpu__time_duration.sum = \"fast\" is not a number"),
            std::string::npos);
  EXPECT_NE(message("\"ID\",\"Kernel Name\"\n\"x\",\"k\"\n").find("ID \"x\""), std::string::npos);
}

// Ops from the NVTX-renamed export; bytes per op call summed over the op's kernels; the model's
// bytes beside them: qkv_proj measured (25,214,976 + 25,223,168) / 2 = 25,219,072 against 25.2 MB
// modelled (ratio 1.0008: within 10%), attention 1,482,752 against 1.2 MB (1.2356: flagged), o_proj
// 8,404,992 against none modelled (null), argmax outside every op ("").
TEST(NcuProfile, OpsFromTheNvtxRenamedNames) {
  EXPECT_EQ(op_of_nvtx_renamed("qkv_proj/void rooflm::<unnamed>::gemv_xwt_f16_kernel<(int)1, (int)1>(const uint4 *)"), "qkv_proj");
  EXPECT_EQ(op_of_nvtx_renamed("rooflm@attention/void k()"), "attention");
  EXPECT_EQ(op_of_nvtx_renamed("rooflm::<unnamed>::argmax_kernel(const __half *, int *, int)"), "");
}

TEST(NcuProfile, MergesMeasuredBytesBesideTheModel) {
  const std::vector<NcuLaunch> launches = parse_ncu_raw_csv(fixture("decode_raw.csv"), ncu_profile_metrics(), "raw");
  std::map<int64_t, std::string> op_of;
  for (const NcuLaunch& l : parse_ncu_raw_csv(fixture("decode_raw_ops.csv"), {}, "ops")) op_of[l.id] = op_of_nvtx_renamed(l.kernel);
  const nlohmann::json model = nlohmann::json::parse(R"([{"op": "qkv_proj", "bytes_per_call": 25.2e6, "calls_per_step": 32},
                                                        {"op": "attention", "bytes_per_call": 1.2e6, "calls_per_step": 32}])");
  const nlohmann::json p = merge_ncu_profile(launches, op_of, model);
  EXPECT_EQ(p["launches"], 5);
  ASSERT_EQ(p["kernels"].size(), 4u);  // qkv_proj's two launches of one kernel are one row
  EXPECT_EQ(p["kernels"][0]["op"], "qkv_proj");
  EXPECT_EQ(p["kernels"][0]["launches"], 2);
  EXPECT_DOUBLE_EQ(p["kernels"][0]["dram_bytes"].get<double>(), 25219072.0);
  EXPECT_DOUBLE_EQ(p["kernels"][0]["duration_us"].get<double>(), 9.248);
  ASSERT_EQ(p["ops"].size(), 4u);
  const nlohmann::json& qkv = p["ops"][0];
  EXPECT_EQ(qkv["op"], "qkv_proj");
  EXPECT_NEAR(qkv["measured_over_model"].get<double>(), 25219072.0 / 25.2e6, 1e-12);
  EXPECT_EQ(qkv["model_off"], false);
  const nlohmann::json& attn = p["ops"][1];
  EXPECT_NEAR(attn["measured_over_model"].get<double>(), 1482752.0 / 1.2e6, 1e-12);
  EXPECT_EQ(attn["model_off"], true);
  EXPECT_EQ(p["ops"][2]["op"], "o_proj");
  EXPECT_TRUE(p["ops"][2]["model_bytes_per_call"].is_null());
  EXPECT_TRUE(p["ops"][2]["model_off"].is_null());
  EXPECT_EQ(p["ops"][3]["op"], "");
  EXPECT_EQ(p["ops_off_model"], 1);
}

}  // namespace
}  // namespace rooflm
