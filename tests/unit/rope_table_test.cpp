// Tests of rope_inv_freq() (common/rope_table.h) against numbers derived by hand here, independently
// of the implementation: the unscaled table, linear scaling, and Llama-3.1's llama3 scaling (kept,
// smoothed and divided bands, Hugging Face `_compute_llama3_parameters`), plus the bands of the
// tiny-llama3 CI model. Run: build/tests/rooflm_unit_tests --gtest_filter='RopeTable*'
#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "common/rope_table.h"
#include "engine/model/model_config.h"

namespace rooflm {
namespace {

// The table is computed in double from pow(): relative 1e-13 leaves room for a few ulps of pow and
// the divisions while still catching any formula slip (the smallest band effect here is ~1e-2).
constexpr double kRtol = 1e-13;

void expect_rel_near(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, kRtol * std::abs(want)) << what;
}

TEST(RopeTable, UnscaledAndLinear) {
  // head_dim 8, theta 10000: inv_freq[i] = 10000^(-2i/8) = 10^(-i).
  const std::vector<double> plain = rope_inv_freq(8, 1e4, {});
  ASSERT_EQ(plain.size(), 4u);
  for (int i = 0; i < 4; ++i) expect_rel_near(plain[size_t(i)], std::pow(10.0, -i), "plain " + std::to_string(i));
  const std::vector<double> linear = rope_inv_freq(8, 1e4, {RopeScaling::Kind::linear, 4.0, 1.0, 4.0, 0});
  for (int i = 0; i < 4; ++i) expect_rel_near(linear[size_t(i)], std::pow(10.0, -i) / 4, "linear " + std::to_string(i));
}

TEST(RopeTable, Llama3BandsByHand) {
  // head_dim 8, theta 10000 -> f = 1, 0.1, 0.01, 0.001; wavelengths 2*pi/f = 6.28, 62.8, 628, 6283.
  // llama3 factor 8, low_freq_factor 1, high_freq_factor 4, original 64: low_freq_wavelen = 64/1 = 64,
  // high_freq_wavelen = 64/4 = 16.
  //   pair 0: 6.28 < 16          -> kept: 1.
  //   pair 1: 16 <= 62.8 <= 64   -> smoothed: s = (64 / (2*pi/0.1) - 1) / (4 - 1) = (3.2/pi - 1)/3
  //           = 0.0061972119293767163; f = (1 - s) * 0.1/8 + s * 0.1 = 0.0125 + 0.0875 s
  //           = 0.013042256043820463.
  //   pair 2: 628 > 64           -> divided: 0.01 / 8 = 0.00125.
  //   pair 3:                    -> 0.001 / 8 = 0.000125.
  const RopeScaling scaling{RopeScaling::Kind::llama3, 8.0, 1.0, 4.0, 64};
  const std::vector<double> f = rope_inv_freq(8, 1e4, scaling);
  ASSERT_EQ(f.size(), 4u);
  expect_rel_near(f[0], 1.0, "pair 0 kept");
  const double s = (3.2 / std::numbers::pi - 1) / 3;
  expect_rel_near(s, 0.0061972119293767163, "smooth factor");
  expect_rel_near(f[1], 0.0125 + 0.0875 * s, "pair 1 smoothed (closed form)");
  expect_rel_near(f[1], 0.013042256043820463, "pair 1 smoothed (decimal)");
  expect_rel_near(f[2], 0.00125, "pair 2 divided");
  expect_rel_near(f[3], 0.000125, "pair 3 divided");
}

TEST(RopeTable, Llama31EightBAtTheBandEdges) {
  // Llama-3.1-8B: head_dim 128, theta 5e5, factor 8, low 1, high 4, original 8192, so
  // high_freq_wavelen = 2048 and low_freq_wavelen = 8192; f_i = 5e5^(-i/64), wavelength 2*pi/f_i.
  // Values computed with 30-digit arithmetic (mpmath):
  //   pair 28: wavelength 1956.50 < 2048 -> kept, 5e5^(-28/64) = 0.0032114459947525910
  //   pair 29: wavelength 2401.74 -> s = (8192/2401.74 - 1)/3 = 0.80362104209963388,
  //            (1 - s) f/8 + s f = 0.0021665707635033586
  //   pair 34: wavelength 6695.11 -> s = 0.074526564160743053, value 0.00017850781276799642
  //   pair 35: wavelength 8218.72 > 8192 -> divided, 5e5^(-35/64)/8 = 9.5562123539646830e-05
  //   pair 63: divided, 5e5^(-63/64)/8 = 3.0689259889145111e-07
  const std::vector<double> f = rope_inv_freq(128, 5e5, model_preset("llama3.1-8b").rope_scaling);
  ASSERT_EQ(f.size(), 64u);
  expect_rel_near(f[0], 1.0, "pair 0");
  expect_rel_near(f[28], 0.0032114459947525910, "pair 28");
  expect_rel_near(f[29], 0.0021665707635033586, "pair 29");
  expect_rel_near(f[34], 0.00017850781276799642, "pair 34");
  expect_rel_near(f[35], 9.5562123539646830e-05, "pair 35");
  expect_rel_near(f[63], 3.0689259889145111e-07, "pair 63");
}

TEST(RopeTable, TinyLlama3ScalesFromThreeBands) {
  // The preset's comment: pairs 0-2 kept, 3-5 smoothed, 6-31 divided by the factor.
  const ModelConfig c = model_preset("tiny-llama3");
  const std::vector<double> plain = rope_inv_freq(c.head_dim, c.rope_theta, {});
  const std::vector<double> scaled = rope_inv_freq(c.head_dim, c.rope_theta, c.rope_scaling);
  ASSERT_EQ(scaled.size(), 32u);
  for (size_t i = 0; i < 32; ++i) {
    const std::string at = "pair " + std::to_string(i);
    if (i < 3) {
      EXPECT_EQ(scaled[i], plain[i]) << at;
    } else if (i < 6) {
      EXPECT_LT(scaled[i], plain[i]) << at;
      EXPECT_GT(scaled[i], plain[i] / c.rope_scaling.factor) << at;
    } else {
      expect_rel_near(scaled[i], plain[i] / c.rope_scaling.factor, at);
    }
  }
}

TEST(RopeTable, KindNames) {
  EXPECT_EQ(rope_scaling_kind_name(RopeScaling::Kind::none), "none");
  EXPECT_EQ(rope_scaling_kind_name(RopeScaling::Kind::linear), "linear");
  EXPECT_EQ(rope_scaling_kind_name(RopeScaling::Kind::llama3), "llama3");
}

}  // namespace
}  // namespace rooflm
