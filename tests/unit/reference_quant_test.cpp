// The quantisation references (reference/fp8_e4m3.h, quant.h): FP8 E4M3 codes (all 256 round-trip,
// encode = the nearest finite value with ties to the even code, by brute force over every code;
// saturation; NaN), int8 and fp8 weight quantisation per tensor / channel / group with the error
// bounds of quant.h checked on every element, the scale edge cases (an all-zero channel, one huge
// outlier, subnormal scales, fp16 overflow, non-finite weights), activation quantisation.
//   build/tests/rooflm_unit_tests --gtest_filter='QuantRef*'
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "common/half.h"
#include "reference/fp8_e4m3.h"
#include "reference/quant.h"
#include "tests/unit/random_vectors.h"

namespace rooflm {
namespace {

using test::uniform;

using ref::WeightScaleGrain;

// The nearest finite e4m3 value to x (ties: the even code), by trying every code.
uint8_t nearest_fp8_brute_force(float x) {
  int best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (int c = 0; c <= 0x7E; ++c) {
    const double d = std::fabs(double(ref::fp8_e4m3_decode(uint8_t(c))) - std::fabs(double(x)));
    if (d < best_distance || (d == best_distance && c % 2 == 0)) {
      best = c;
      best_distance = d;
    }
  }
  return uint8_t(best | (std::signbit(x) ? 0x80 : 0));
}

TEST(QuantRef, EveryFp8CodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    const float v = ref::fp8_e4m3_decode(uint8_t(c));
    EXPECT_EQ(int(ref::fp8_e4m3_encode(v)), c) << "code " << c << " = " << v;
    EXPECT_EQ(std::isnan(v), (c & 0x7F) == 0x7F) << c;
    EXPECT_EQ(std::signbit(v), c >= 0x80) << c;
    const float t = ref::fp8_e4m3_table()[size_t(c)];
    EXPECT_EQ(std::memcmp(&t, &v, sizeof t), 0) << c;
  }
  EXPECT_EQ(ref::fp8_e4m3_decode(0x7E), 448.0f);
  EXPECT_EQ(ref::fp8_e4m3_decode(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_EQ(ref::fp8_e4m3_decode(0x08), std::ldexp(1.0f, -6));  // smallest normal
  EXPECT_EQ(ref::fp8_e4m3_decode(0x38), 1.0f);
}

TEST(QuantRef, Fp8EncodeIsNearestEvenWithSaturation) {
  // Exact ties: the midpoint of every pair of neighbouring codes goes to the even one.
  EXPECT_EQ(ref::fp8_e4m3_encode(1.0625f), 0x38);                 // 1 | 1.125 -> 1 (fraction 0)
  EXPECT_EQ(ref::fp8_e4m3_encode(1.1875f), 0x3A);                 // 1.125 | 1.25 -> 1.25 (fraction 2)
  EXPECT_EQ(ref::fp8_e4m3_encode(std::ldexp(1.0f, -10)), 0x00);   // 0 | 2^-9 -> 0
  EXPECT_EQ(ref::fp8_e4m3_encode(std::ldexp(3.0f, -10)), 0x02);   // 2^-9 | 2^-8 -> 2^-8
  EXPECT_EQ(ref::fp8_e4m3_encode(-std::ldexp(15.0f, -10)), 0x88); // 7 * 2^-9 | 2^-6 -> the smallest normal
  EXPECT_EQ(ref::fp8_e4m3_encode(15.5f), 0x58);                   // 15 | 16 -> 16 (exponent carries)
  // Saturation, infinities, NaN, signed zero.
  EXPECT_EQ(ref::fp8_e4m3_encode(464.0f), 0x7E);  // the midpoint of 448 and (NaN's) 480
  EXPECT_EQ(ref::fp8_e4m3_encode(1e30f), 0x7E);
  EXPECT_EQ(ref::fp8_e4m3_encode(std::numeric_limits<float>::infinity()), 0x7E);
  EXPECT_EQ(ref::fp8_e4m3_encode(-std::numeric_limits<float>::infinity()), 0xFE);
  EXPECT_EQ(ref::fp8_e4m3_encode(std::numeric_limits<float>::quiet_NaN()), 0x7F);
  EXPECT_EQ(ref::fp8_e4m3_encode(-std::numeric_limits<float>::quiet_NaN()), 0xFF);
  EXPECT_EQ(ref::fp8_e4m3_encode(-0.0f), 0x80);
  EXPECT_EQ(ref::fp8_e4m3_encode(1e-30f), 0x00);

  // Every midpoint of neighbouring codes, a hair either side of it, and random values over the
  // whole range (subnormal to saturated) against the brute-force nearest.
  std::vector<float> probes;
  for (int c = 0; c < 0x7E; ++c) {
    const float mid = 0.5f * (ref::fp8_e4m3_decode(uint8_t(c)) + ref::fp8_e4m3_decode(uint8_t(c + 1)));
    probes.insert(probes.end(), {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)});
  }
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<float> exponent(-12.0f, 10.0f);
  for (int i = 0; i < 20000; ++i) probes.push_back((i % 2 ? -1.0f : 1.0f) * std::exp2(exponent(rng)));
  for (float x : probes)
    ASSERT_EQ(int(ref::fp8_e4m3_encode(x)), int(nearest_fp8_brute_force(x))) << "x = " << x;
}

// Every element of a quantised weight within its bound, every scale as quant.h states.
void expect_weight_round_trip(const std::vector<float>& w, const ref::QuantizedWeight& q) {
  const ref::QuantWeightView v = ref::view_all(q);
  std::vector<float> dq(w.size());
  ref::dequantize_weight(v, dq.data());
  for (int64_t r = 0; r < q.rows; ++r)
    for (int64_t c = 0; c < q.cols; ++c) {
      const size_t i = size_t(r * q.cols + c);
      const double s = v.scale(r, c), err = std::fabs(double(w[i]) - double(dq[i]));
      ASSERT_FALSE(std::isnan(dq[i])) << r << "," << c;
      if (q.dtype == DType::i8) {
        // Half a step, plus the fp32 division's rounding of w / s (|w / s| <= 127).
        ASSERT_LE(err, s * (0.5 + 127 * 0x1p-24)) << r << "," << c;
        ASSERT_LE(std::abs(int(int8_t(q.codes[i]))), 127);
        ASSERT_EQ(round_to_fp16(float(s)), float(s)) << "int8 weight scales are fp16 values";
      } else {
        // Half an e4m3 step: 2^-4 relative for normals, 2^-10 * s for subnormals (plus the division).
        ASSERT_LE(err, std::max(0x1p-4 * std::fabs(w[i]), 0x1p-10 * s) * (1 + 1e-5)) << r << "," << c;
        ASSERT_NE(q.codes[i] & 0x7F, 0x7F) << "no NaN from finite weights";
      }
    }
}

TEST(QuantRef, WeightsRoundTripWithinHalfAStepForEveryGrainAndDtype) {
  const int64_t rows = 17, cols = 256;
  const std::vector<float> w = uniform(size_t(rows * cols), 0.0625f, 3);
  for (DType dtype : {DType::i8, DType::f8e4m3})
    for (WeightScaleGrain grain : {WeightScaleGrain::tensor, WeightScaleGrain::channel, WeightScaleGrain::group}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " grain " + std::to_string(int(grain)));
      const ref::QuantizedWeight q = ref::quantize_weight(w.data(), rows, cols, dtype, grain, 64);
      const size_t n_scales = grain == WeightScaleGrain::tensor ? 1 : grain == WeightScaleGrain::channel ? rows : rows * 4;
      ASSERT_EQ(q.scales.size(), n_scales);
      expect_weight_round_trip(w, q);
    }
}

TEST(QuantRef, EachBlocksLargestWeightGetsTheLargestCode) {
  const int64_t rows = 5, cols = 128;
  const std::vector<float> w = uniform(size_t(rows * cols), 1.0f, 4);
  for (DType dtype : {DType::i8, DType::f8e4m3}) {
    const ref::QuantizedWeight q = ref::quantize_weight(w.data(), rows, cols, dtype, WeightScaleGrain::channel);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t arg = 0;
      for (int64_t c = 0; c < cols; ++c)
        if (std::fabs(w[size_t(r * cols + c)]) > std::fabs(w[size_t(r * cols + arg)])) arg = c;
      const uint8_t code = q.codes[size_t(r * cols + arg)];
      if (dtype == DType::i8)
        EXPECT_EQ(std::abs(int(int8_t(code))), 127) << r;
      else
        EXPECT_EQ(code & 0x7F, 0x7E) << r;  // 448
      EXPECT_EQ(q.scales[size_t(r)], dtype == DType::i8 ? round_to_fp16(std::fabs(w[size_t(r * cols + arg)]) / 127)
                                                         : std::fabs(w[size_t(r * cols + arg)]) / 448.0f);
    }
  }
}

TEST(QuantRef, AllZeroChannelHasScaleZeroAndDequantisesToZero) {
  const int64_t rows = 3, cols = 64;
  std::vector<float> w = uniform(size_t(rows * cols), 1.0f, 5);
  std::fill_n(w.begin() + cols, cols, 0.0f);  // row 1
  for (DType dtype : {DType::i8, DType::f8e4m3})
    for (WeightScaleGrain grain : {WeightScaleGrain::channel, WeightScaleGrain::group}) {
      const ref::QuantizedWeight q = ref::quantize_weight(w.data(), rows, cols, dtype, grain, 32);
      const ref::QuantWeightView v = ref::view_all(q);
      std::vector<float> row(static_cast<size_t>(cols));
      ref::dequantize_row(v, 1, row.data());
      for (int64_t c = 0; c < cols; ++c) {
        EXPECT_EQ(v.scale(1, c), 0.0f);
        EXPECT_EQ(row[size_t(c)], 0.0f) << "never 0/0";
      }
      expect_weight_round_trip(w, q);
    }
}

TEST(QuantRef, OneHugeOutlierCoarsensOnlyItsOwnBlock) {
  const int64_t rows = 2, cols = 256;
  std::vector<float> w = uniform(size_t(rows * cols), 0.01f, 6);
  w[5] = 1000.0f;  // row 0, group 0 of 128
  const ref::QuantizedWeight channel = ref::quantize_weight(w.data(), rows, cols, DType::i8, WeightScaleGrain::channel);
  const ref::QuantizedWeight group = ref::quantize_weight(w.data(), rows, cols, DType::i8, WeightScaleGrain::group, 128);
  expect_weight_round_trip(w, channel);
  expect_weight_round_trip(w, group);
  EXPECT_EQ(channel.scales[0], round_to_fp16(1000.0f / 127));
  EXPECT_EQ(int8_t(channel.codes[5]), 127);
  // Row 0's other weights (|w| < 0.01 < scale / 2 = 3.9) all quantise to 0 per channel ...
  for (int64_t c = 0; c < cols; ++c) {
    if (c != 5) {
      EXPECT_EQ(int8_t(channel.codes[size_t(c)]), 0) << c;
    }
  }
  // ... but group 1 of row 0 and row 1 keep fine scales: the outlier costs only its group.
  EXPECT_EQ(group.scales[0], channel.scales[0]);
  EXPECT_LT(group.scales[1], 0.01f / 127 * 1.001f);
  EXPECT_LT(channel.scales[1], 0.01f / 127 * 1.001f);
}

TEST(QuantRef, TinyWeightsGetASubnormalScaleThatNeverSaturates) {
  // max |w| / 127 far below the fp16 normal range (6.1e-5): rounding to fp16 loses most bits, and
  // rounding down would push w / scale beyond 127.5; the scale is raised to the next fp16 instead.
  for (float amax : {1e-9f, 3.3e-7f, 1e-6f, 7.77e-6f, 5e-4f}) {
    const std::vector<float> w = {amax, -amax * 0.3f, amax * 0.51f, 0.0f};
    const ref::QuantizedWeight q = ref::quantize_weight(w.data(), 1, 4, DType::i8, WeightScaleGrain::channel);
    EXPECT_GE(double(q.scales[0]) * 127.5, double(amax)) << amax;
    EXPECT_GT(q.scales[0], 0.0f) << amax;
    expect_weight_round_trip(w, q);
  }
}

TEST(QuantRef, WeightsThatNoScaleCanHoldAreRefused) {
  std::vector<float> w = uniform(64, 1.0f, 7);
  w[3] = 1e7f;  // 1e7 / 127 > 65504: no fp16 scale
  EXPECT_THROW(ref::quantize_weight(w.data(), 1, 64, DType::i8, WeightScaleGrain::channel), InputError);
  EXPECT_NO_THROW(ref::quantize_weight(w.data(), 1, 64, DType::f8e4m3, WeightScaleGrain::channel));  // fp32 scale
  w[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(ref::quantize_weight(w.data(), 1, 64, DType::f8e4m3, WeightScaleGrain::tensor), InputError);
  w[3] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(ref::quantize_weight(w.data(), 1, 64, DType::i8, WeightScaleGrain::channel), InputError);
  w[3] = 0;
  try {
    ref::quantize_weight(w.data(), 1, 64, DType::i8, WeightScaleGrain::group, 48);
    FAIL() << "a group size that does not divide the inputs";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("group size 48 must divide the 64 input features"), std::string::npos)
        << e.what();
  }
}

TEST(QuantRef, ViewOfRowsReadsTheRowsOwnScales) {
  const int64_t rows = 6, cols = 64;
  const std::vector<float> w = uniform(size_t(rows * cols), 1.0f, 8);
  for (WeightScaleGrain grain : {WeightScaleGrain::tensor, WeightScaleGrain::channel, WeightScaleGrain::group}) {
    const ref::QuantizedWeight q = ref::quantize_weight(w.data(), rows, cols, DType::i8, grain, 16);
    const ref::QuantWeightView all = ref::view_all(q), part = ref::view_rows(q, 2, 3);
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(part.value(r, c), all.value(r + 2, c));
  }
}

TEST(QuantRef, PerTokenActivationScalesAreEachRowsMax) {
  const int64_t n = 4, cols = 33;
  std::vector<float> x = uniform(size_t(n * cols), 3.0f, 9);
  std::fill_n(x.begin() + cols, cols, 0.0f);               // row 1: zeros
  x[size_t(2 * cols + 7)] = std::numeric_limits<float>::quiet_NaN();  // row 2: a NaN
  for (DType dtype : {DType::i8, DType::f8e4m3}) {
    std::vector<uint8_t> codes(x.size());
    std::vector<float> scales(static_cast<size_t>(n));
    ref::quantize_activations_per_token(dtype, x.data(), n, cols, codes.data(), scales.data());
    for (int64_t t : {0, 3}) {
      float amax = 0;
      for (int64_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(x[size_t(t * cols + c)]));
      EXPECT_EQ(scales[size_t(t)], amax / ref::quant_max(dtype));
      for (int64_t c = 0; c < cols; ++c) {
        const size_t i = size_t(t * cols + c);
        const double value = ref::code_value(dtype, codes[i]) * double(scales[size_t(t)]);
        const double bound = dtype == DType::i8 ? scales[size_t(t)] * (0.5 + 1e-5)
                                                : std::max(0x1p-4 * std::fabs(x[i]), 0x1p-10 * scales[size_t(t)]) * (1 + 1e-5);
        ASSERT_LE(std::fabs(value - x[i]), bound) << t << "," << c;
      }
    }
    EXPECT_EQ(scales[1], 0.0f);
    for (int64_t c = 0; c < cols; ++c) EXPECT_EQ(codes[size_t(cols + c)], 0) << "zeros stay zeros";
    EXPECT_TRUE(std::isnan(scales[2])) << "a NaN reaches the output through its row's scale";
  }
}

TEST(QuantRef, StaticActivationCodesSaturate) {
  const std::vector<float> x = {0.0f, 1.0f, -1.0f, 126.6f, 127.4f, 200.0f, -1e9f, 447.0f, 500.0f, -1e30f,
                                std::numeric_limits<float>::quiet_NaN()};
  std::vector<uint8_t> i8(x.size()), f8(x.size());
  ref::quantize_activations_static(DType::i8, x.data(), int64_t(x.size()), 1.0f, i8.data());
  ref::quantize_activations_static(DType::f8e4m3, x.data(), int64_t(x.size()), 1.0f, f8.data());
  const std::vector<int> want_i8 = {0, 1, -1, 127, 127, 127, -127, 127, 127, -127, 0};
  const std::vector<float> want_f8 = {0.0f, 1.0f, -1.0f, 128.0f, 128.0f, 192.0f, -448.0f, 448.0f, 448.0f, -448.0f};
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(int(int8_t(i8[i])), want_i8[i]) << x[i];
  for (size_t i = 0; i < want_f8.size(); ++i) EXPECT_EQ(ref::fp8_e4m3_decode(f8[i]), want_f8[i]) << x[i];
  EXPECT_EQ(f8.back() & 0x7F, 0x7F) << "fp8 keeps NaN";
  // A scale divides: 2.5 / 0.5 = 5.
  const float v = 2.5f;
  uint8_t code = 0;
  ref::quantize_activations_static(DType::i8, &v, 1, 0.5f, &code);
  EXPECT_EQ(int8_t(code), 5);
}

}  // namespace
}  // namespace rooflm
