// The quantised linear references (reference/quant_linear.h) vs naive double-precision loops on
// fresh random inputs, every element, at odd shapes, with and without bias; the int8 GEMM's int32
// accumulation is exact (checked against int64 sums, and through the W8A8 layer with unit scales);
// the thread pool changes no bit.
//   build/tests/rooflm_unit_tests --gtest_filter='QuantLinearRef*'
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "reference/fp8_e4m3.h"
#include "reference/quant_linear.h"
#include "tests/unit/random_vectors.h"

namespace rooflm {
namespace {

using test::uniform;
using test::same_bits;

using ref::WeightScaleGrain;

// fp32 accumulation of <= 512 products of O(1) activations and weights ~ U(-1/16, 1/16): rounding
// errors of ~sqrt(512) * 2^-24 * |partial sums| (~1e-6) against 1e-5 + 1e-5 |ref|.
constexpr double kFp32DotAtol = 1e-5, kFp32DotRtol = 1e-5;
// W8A8 int8: the sum is exact; float(acc) (exact below 2^24), two products and the bias add round
// once each: 4 * 2^-24 relative to the products' size (O(1) here).
constexpr double kEpilogueAtol = 1e-6, kEpilogueRtol = 1e-6;

struct Shape {
  int64_t n, in, out;
};
const Shape kShapes[] = {{1, 64, 1}, {3, 128, 17}, {17, 256, 33}, {5, 512, 7}};

void expect_close(const std::vector<float>& got, const std::vector<double>& want, double atol, double rtol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_LE(std::fabs(double(got[i]) - want[i]), atol + rtol * std::fabs(want[i])) << "element " << i;
}

// y[t, o] = sum_i a(t, i) * b(o, i) * scale(t, o) + bias[o], in double.
template <class A, class B, class Scale>
std::vector<double> naive(int64_t n, int64_t in, int64_t out, A a, B b, Scale scale, const float* bias) {
  std::vector<double> y(size_t(n * out));
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < out; ++o) {
      double acc = 0;
      for (int64_t i = 0; i < in; ++i) acc += a(t, i) * b(o, i);
      y[size_t(t * out + o)] = acc * scale(t, o) + (bias ? bias[o] : 0.0);
    }
  return y;
}

TEST(QuantLinearRef, W8A16MatchesDoubleForEveryGrain) {
  ThreadPool pool(3);
  uint64_t seed = 100;
  for (const Shape& s : kShapes)
    for (WeightScaleGrain grain : {WeightScaleGrain::tensor, WeightScaleGrain::channel, WeightScaleGrain::group})
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE(std::to_string(s.n) + "x" + std::to_string(s.in) + "x" + std::to_string(s.out) + " grain " +
                     std::to_string(int(grain)) + (with_bias ? " bias" : ""));
        const std::vector<float> x = uniform(size_t(s.n * s.in), 1.0f, ++seed),
                                 w = uniform(size_t(s.out * s.in), 0.0625f, ++seed),
                                 bias = uniform(size_t(s.out), 1.0f, ++seed);
        const ref::QuantizedWeight q = ref::quantize_weight(w.data(), s.out, s.in, DType::i8, grain, 32);
        const ref::QuantWeightView v = ref::view_all(q);
        const float* b = with_bias ? bias.data() : nullptr;
        std::vector<float> y(size_t(s.n * s.out)), serial(y.size());
        ref::linear_w8a16(&pool, x.data(), v, b, y.data(), s.n);
        ref::linear_w8a16(nullptr, x.data(), v, b, serial.data(), s.n);
        EXPECT_TRUE(same_bits(y, serial));
        const auto want = naive(
            s.n, s.in, s.out, [&](int64_t t, int64_t i) { return double(x[size_t(t * s.in + i)]); },
            [&](int64_t o, int64_t i) { return double(int8_t(q.codes[size_t(o * s.in + i)])) * v.scale(o, i); },
            [](int64_t, int64_t) { return 1.0; }, b);
        expect_close(y, want, kFp32DotAtol, kFp32DotRtol);
      }
}

std::vector<int8_t> random_codes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> u(-127, 127);
  std::vector<int8_t> v(n);
  for (int8_t& e : v) e = int8_t(u(rng));
  return v;
}

TEST(QuantLinearRef, Int8GemmAccumulatesExactlyInInt32) {
  ThreadPool pool(3);
  for (const Shape& s : kShapes) {
    const std::vector<int8_t> x = random_codes(size_t(s.n * s.in), 1 + uint64_t(s.in)),
                              w = random_codes(size_t(s.out * s.in), 2 + uint64_t(s.in));
    std::vector<int32_t> acc(size_t(s.n * s.out));
    ref::gemm_s8s8_s32(&pool, x.data(), w.data(), acc.data(), s.n, s.in, s.out);
    for (int64_t t = 0; t < s.n; ++t)
      for (int64_t o = 0; o < s.out; ++o) {
        int64_t want = 0;
        for (int64_t i = 0; i < s.in; ++i) want += int64_t(x[size_t(t * s.in + i)]) * w[size_t(o * s.in + i)];
        ASSERT_EQ(acc[size_t(t * s.out + o)], want) << t << "," << o;
      }
  }
  // The largest sums: every product 127 * 127 (or -127 * 127) over 4096 inputs (66 million: past
  // fp32's exact integers, still exact in int32).
  const int64_t in = 4096;
  const std::vector<int8_t> ones(size_t(in), 127), minus(size_t(in), -127);
  int32_t acc[2];
  const std::vector<int8_t> w2 = [&] {
    std::vector<int8_t> w(ones);
    w.insert(w.end(), minus.begin(), minus.end());
    return w;
  }();
  ref::gemm_s8s8_s32(nullptr, ones.data(), w2.data(), acc, 1, in, 2);
  EXPECT_EQ(acc[0], 127 * 127 * in);
  EXPECT_EQ(acc[1], -127 * 127 * in);
  EXPECT_THROW(ref::gemm_s8s8_s32(nullptr, nullptr, nullptr, nullptr, 0, ref::kMaxInt8GemmInner + 1, 0),
               std::logic_error);
}

// A quantised weight built from given int8 codes and scales (so the test controls them).
ref::QuantizedWeight weight_from_codes(const std::vector<int8_t>& codes, std::vector<float> scales, int64_t rows,
                                       int64_t cols, DType dtype = DType::i8) {
  ref::QuantizedWeight q;
  q.dtype = dtype;
  q.grain = scales.size() == 1 ? WeightScaleGrain::tensor : WeightScaleGrain::channel;
  q.rows = rows;
  q.cols = cols;
  q.codes.assign(reinterpret_cast<const uint8_t*>(codes.data()), reinterpret_cast<const uint8_t*>(codes.data()) + codes.size());
  q.scales = std::move(scales);
  return q;
}

TEST(QuantLinearRef, W8A8WithUnitScalesIsTheExactIntegerSum) {
  const int64_t n = 3, in = 1000, out = 5;  // |sums| <= 127^2 * 1000 < 2^24: exact in fp32
  const std::vector<int8_t> x = random_codes(size_t(n * in), 5), w = random_codes(size_t(out * in), 6);
  const ref::QuantizedWeight q = weight_from_codes(w, std::vector<float>(size_t(out), 1.0f), out, in);
  const float one = 1.0f;
  std::vector<float> y(size_t(n * out));
  std::vector<int32_t> acc(y.size());
  ref::linear_w8a8_int8(nullptr, x.data(), {&one, false}, ref::view_all(q), nullptr, y.data(), n);
  ref::gemm_s8s8_s32(nullptr, x.data(), w.data(), acc.data(), n, in, out);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(double(y[i]), double(acc[i])) << i;
}

TEST(QuantLinearRef, W8A8MatchesDoubleWithPerTokenAndPerTensorScales) {
  ThreadPool pool(2);
  uint64_t seed = 200;
  for (const Shape& s : kShapes)
    for (bool per_token : {true, false})
      for (WeightScaleGrain grain : {WeightScaleGrain::tensor, WeightScaleGrain::channel}) {
        SCOPED_TRACE(std::to_string(s.n) + "x" + std::to_string(s.in) + "x" + std::to_string(s.out) +
                     (per_token ? " per-token" : " per-tensor") + " grain " + std::to_string(int(grain)));
        const std::vector<float> x = uniform(size_t(s.n * s.in), 2.0f, ++seed),
                                 w = uniform(size_t(s.out * s.in), 0.0625f, ++seed),
                                 bias = uniform(size_t(s.out), 1.0f, ++seed);
        const ref::QuantizedWeight q = ref::quantize_weight(w.data(), s.out, s.in, DType::i8, grain);
        std::vector<uint8_t> xq(x.size());
        std::vector<float> xs(size_t(s.n), 2.0f / 127);
        if (per_token)
          ref::quantize_activations_per_token(DType::i8, x.data(), s.n, s.in, xq.data(), xs.data());
        else
          ref::quantize_activations_static(DType::i8, x.data(), int64_t(x.size()), xs[0], xq.data());
        const int8_t* xc = reinterpret_cast<const int8_t*>(xq.data());
        const ref::ActivationScales scales{xs.data(), per_token};
        std::vector<float> y(size_t(s.n * s.out)), serial(y.size());
        ref::linear_w8a8_int8(&pool, xc, scales, ref::view_all(q), bias.data(), y.data(), s.n);
        ref::linear_w8a8_int8(nullptr, xc, scales, ref::view_all(q), bias.data(), serial.data(), s.n);
        EXPECT_TRUE(same_bits(y, serial));
        const auto want = naive(
            s.n, s.in, s.out, [&](int64_t t, int64_t i) { return double(xc[t * s.in + i]); },
            [&](int64_t o, int64_t i) { return double(int8_t(q.codes[size_t(o * s.in + i)])); },
            [&](int64_t t, int64_t o) { return double(scales.of(t)) * ref::view_all(q).scale(o, 0); }, bias.data());
        expect_close(y, want, kEpilogueAtol, kEpilogueRtol);
      }
}

TEST(QuantLinearRef, Fp8MatchesDoubleWithPerTokenAndPerTensorScales) {
  ThreadPool pool(2);
  uint64_t seed = 300;
  for (const Shape& s : kShapes)
    for (bool per_token : {true, false})
      for (WeightScaleGrain grain : {WeightScaleGrain::tensor, WeightScaleGrain::channel})
        for (bool with_bias : {false, true}) {
          SCOPED_TRACE(std::to_string(s.n) + "x" + std::to_string(s.in) + "x" + std::to_string(s.out) +
                       (per_token ? " per-token" : " per-tensor") + " grain " + std::to_string(int(grain)));
          const std::vector<float> x = uniform(size_t(s.n * s.in), 2.0f, ++seed),
                                   w = uniform(size_t(s.out * s.in), 0.0625f, ++seed),
                                   bias = uniform(size_t(s.out), 1.0f, ++seed);
          const ref::QuantizedWeight q = ref::quantize_weight(w.data(), s.out, s.in, DType::f8e4m3, grain);
          std::vector<uint8_t> xq(x.size());
          std::vector<float> xs(size_t(s.n), 2.0f / 448);
          if (per_token)
            ref::quantize_activations_per_token(DType::f8e4m3, x.data(), s.n, s.in, xq.data(), xs.data());
          else
            ref::quantize_activations_static(DType::f8e4m3, x.data(), int64_t(x.size()), xs[0], xq.data());
          const ref::ActivationScales scales{xs.data(), per_token};
          const float* b = with_bias ? bias.data() : nullptr;
          std::vector<float> y(size_t(s.n * s.out)), serial(y.size());
          ref::linear_fp8(&pool, xq.data(), scales, ref::view_all(q), b, y.data(), s.n);
          ref::linear_fp8(nullptr, xq.data(), scales, ref::view_all(q), b, serial.data(), s.n);
          EXPECT_TRUE(same_bits(y, serial));
          const auto want = naive(
              s.n, s.in, s.out, [&](int64_t t, int64_t i) { return double(ref::fp8_e4m3_decode(xq[size_t(t * s.in + i)])); },
              [&](int64_t o, int64_t i) { return double(ref::fp8_e4m3_decode(q.codes[size_t(o * s.in + i)])); },
              [&](int64_t t, int64_t o) { return double(scales.of(t)) * ref::view_all(q).scale(o, 0); }, b);
          expect_close(y, want, kFp32DotAtol, kFp32DotRtol);
        }
}

TEST(QuantLinearRef, GroupScalesAreForWeightOnlyLayers) {
  const std::vector<float> w = uniform(64 * 4, 1.0f, 9);
  const ref::QuantizedWeight q = ref::quantize_weight(w.data(), 4, 64, DType::i8, WeightScaleGrain::group, 32);
  const std::vector<int8_t> x(64, 1);
  const float one = 1.0f;
  float y[4];
  EXPECT_THROW(ref::linear_w8a8_int8(nullptr, x.data(), {&one, false}, ref::view_all(q), nullptr, y, 1),
               std::logic_error);
}

}  // namespace
}  // namespace rooflm
