// GemmCublasLt (cuBLASLt y = x W^T, optionally + bias through CUBLASLT_EPILOGUE_BIAS) vs the fp32
// CPU reference (reference/linear.h), every element, on fresh random inputs. Tolerance
// |got - ref| <= 1e-2 + 1e-2 |ref|: inputs are scaled so outputs are O(1) (x ~ U(-1, 1),
// W ~ U(-a, a) with a = 1/sqrt(in): std(y) = 1/3); fp16 output rounding is 2^-11 relative and fp32
// accumulation over K <= 11008 (in the reference too, in another order) adds ~sqrt(K) * 2^-24, both
// far below it, so the margin only absorbs cuBLAS's choice of split-K / summation order.
#include <random>
#include <string>
#include <tuple>

#include "kernels/gemm/gemm_cublaslt.h"
#include "reference/linear.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

constexpr double kAtol = 1e-2, kRtol = 1e-2;

struct Shape {
  int64_t n, in, out;
};

std::string describe(const Shape& s, uint64_t seed) {
  return "n=" + std::to_string(s.n) + " in=" + std::to_string(s.in) + " out=" + std::to_string(s.out) +
         " seed=" + std::to_string(seed);
}

TEST(GemmCublasLt, XwtMatchesReferenceOnOddShapes) {
  ROOFLM_REQUIRE_GPU();
  GemmCublasLt gemm;
  const Shape shapes[] = {{1, 4096, 1024},  {3, 4096, 1024}, {17, 4096, 1024}, {129, 4096, 1024},
                          {257, 4096, 1024}, {17, 11008, 128}, {3, 129, 257},   {257, 1, 3}};
  for (const Shape& s : shapes) {
    const uint64_t seed = std::random_device{}();
    SCOPED_TRACE(describe(s, seed));
    std::vector<float> x_f, w_f;
    DeviceBuffer<__half> x(random_half(size_t(s.n * s.in), 1.0f, seed, &x_f));
    DeviceBuffer<__half> w(random_half(size_t(s.out * s.in), float(1.0 / std::sqrt(double(s.in))), seed + 1, &w_f));
    DeviceBuffer<__half> y(size_t(s.n * s.out));
    y.poison();
    gemm.xwt_f16(x.get(), w.get(), nullptr, y.get(), s.n, s.in, s.out, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<float> ref(size_t(s.n * s.out));
    ref::linear_xwt(nullptr, x_f.data(), w_f.data(), nullptr, ref.data(), s.n, s.in, s.out);
    EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol));
  }
}

// The bias epilogue: bias ~ U(-1, 1) per output feature, added to every token's row; the same shape
// without a bias after it (a separate cached plan) must not pick the bias up, and a second bias
// buffer must replace the first (the pointer is set per call).
TEST(GemmCublasLt, BiasEpilogueAddsBiasPerOutputFeature) {
  ROOFLM_REQUIRE_GPU();
  GemmCublasLt gemm;
  const Shape shapes[] = {{5, 896, 1152}, {17, 4096, 1024}, {129, 4096, 1024}, {257, 1024, 129}, {3, 129, 257}};
  for (const Shape& s : shapes) {
    const uint64_t seed = std::random_device{}();
    SCOPED_TRACE(describe(s, seed));
    std::vector<float> x_f, w_f, bias1_f, bias2_f;
    DeviceBuffer<__half> x(random_half(size_t(s.n * s.in), 1.0f, seed, &x_f));
    DeviceBuffer<__half> w(random_half(size_t(s.out * s.in), float(1.0 / std::sqrt(double(s.in))), seed + 1, &w_f));
    DeviceBuffer<__half> bias1(random_half(size_t(s.out), 1.0f, seed + 2, &bias1_f));
    DeviceBuffer<__half> bias2(random_half(size_t(s.out), 1.0f, seed + 3, &bias2_f));
    DeviceBuffer<__half> y(size_t(s.n * s.out));
    std::vector<float> ref(size_t(s.n * s.out));
    for (const auto& [bias, bias_f, what] : {std::tuple{bias1.get(), &bias1_f, "bias 1"},
                                             std::tuple{static_cast<__half*>(nullptr), &bias1_f, "no bias"},
                                             std::tuple{bias2.get(), &bias2_f, "bias 2"}}) {
      y.poison();
      gemm.xwt_f16(x.get(), w.get(), bias, y.get(), s.n, s.in, s.out, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      ref::linear_xwt(nullptr, x_f.data(), w_f.data(), bias ? bias_f->data() : nullptr, ref.data(), s.n, s.in, s.out);
      EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol)) << what;
    }
  }
}

TEST(GemmCublasLt, AddResidualEpilogueAddsIntoFp32Stream) {
  ROOFLM_REQUIRE_GPU();
  GemmCublasLt gemm;
  for (const Shape& s : {Shape{1, 4096, 512}, Shape{17, 4096, 512}, Shape{257, 1024, 129}}) {
    const uint64_t seed = std::random_device{}();
    SCOPED_TRACE(describe(s, seed));
    std::vector<float> x_f, w_f, residual_f;
    DeviceBuffer<__half> x(random_half(size_t(s.n * s.in), 1.0f, seed, &x_f));
    DeviceBuffer<__half> w(random_half(size_t(s.out * s.in), float(1.0 / std::sqrt(double(s.in))), seed + 1, &w_f));
    std::mt19937_64 rng(seed + 2);
    std::uniform_real_distribution<float> u(-4.0f, 4.0f);
    residual_f.resize(size_t(s.n * s.out));
    for (float& v : residual_f) v = u(rng);
    DeviceBuffer<float> residual(residual_f);
    gemm.xwt_add_residual_f16(x.get(), w.get(), residual.get(), s.n, s.in, s.out, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<float> ref(size_t(s.n * s.out));
    ref::linear_xwt(nullptr, x_f.data(), w_f.data(), nullptr, ref.data(), s.n, s.in, s.out);
    for (size_t i = 0; i < ref.size(); ++i) ref[i] += residual_f[i];
    // fp32 output: no fp16 rounding, so the tolerance is tighter than the fp16 path's.
    EXPECT_TRUE(all_close(residual.download(), ref, 1e-3, 1e-3));
  }
}

}  // namespace
}  // namespace rooflm
