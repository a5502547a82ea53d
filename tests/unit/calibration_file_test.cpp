// The calibration file (engine/roofline/calibration.h): to_json / from_json round trip, the optional
// fp8 GEMM ceiling (absent in files of GPUs without FP8 and in older files), and a bad ceiling
// refused naming the file and the field.
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "engine/roofline/calibration.h"

namespace rooflm {
namespace {

Calibration h200_like() {
  Calibration c;
  c.gpu = "NVIDIA H200";
  c.gpu_spec = "h200";
  c.read_bandwidth_bytes_per_s = 4.5e12;
  c.copy_bandwidth_bytes_per_s = 4.2e12;
  c.fp16_gemm_flops_per_s = 7.4e14;
  c.int8_gemm_ops_per_s = 1.4e15;
  return c;
}

TEST(CalibrationFile, RoundTripsWithAndWithoutTheFp8Ceiling) {
  Calibration c = h200_like();
  nlohmann::json j = c.to_json();
  EXPECT_FALSE(j["ceilings"].contains("fp8_gemm_flops_per_s"));  // not measured: not written
  Calibration back = Calibration::from_json(j, "cal.json");
  EXPECT_EQ(back.fp8_gemm_flops_per_s, 0.0);
  EXPECT_EQ(back.int8_gemm_ops_per_s, c.int8_gemm_ops_per_s);
  EXPECT_EQ(back.gpu_spec, "h200");

  c.fp8_gemm_flops_per_s = 1.3e15;
  j = c.to_json();
  back = Calibration::from_json(j, "cal.json");
  EXPECT_EQ(back.fp8_gemm_flops_per_s, 1.3e15);
  EXPECT_EQ(back.read_bandwidth_bytes_per_s, 4.5e12);
}

TEST(CalibrationFile, ABadCeilingNamesTheFileAndTheField) {
  nlohmann::json j = h200_like().to_json();
  j["ceilings"]["fp8_gemm_flops_per_s"] = -1;
  try {
    Calibration::from_json(j, "results/h200/calibration.json");
    FAIL() << "a negative fp8 ceiling was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("results/h200/calibration.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ceilings.fp8_gemm_flops_per_s"), std::string::npos) << e.what();
  }
  j = h200_like().to_json();
  j["ceilings"].erase("int8_gemm_ops_per_s");
  EXPECT_THROW(Calibration::from_json(j, "cal.json"), InputError);
}

}  // namespace
}  // namespace rooflm
