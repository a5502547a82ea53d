// gemv_xwt_f16 (decode skinny GEMM) vs the fp32 CPU reference (reference/linear.h), every element,
// fresh random inputs, every token count 1..16 (each is its own template instance) and every
// rows-per-block variant, with and without a bias. Tolerance 1e-2 + 1e-2 |ref| as for the GEMM
// (outputs O(1) by construction; fp16 output rounding 2^-11; fp32 accumulation over K <= 11008 in
// both, in different orders: ~sqrt(K) * 2^-24 relative).
#include <random>
#include <string>

#include "kernels/activation/activation_f16.h"
#include "kernels/gemv/gemv_f16.h"
#include "reference/activation.h"
#include "reference/linear.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

constexpr double kAtol = 1e-2, kRtol = 1e-2;

// Runs one shape with every rows-per-block variant against one reference. With `with_bias`, a bias
// ~ U(-1, 1) (Qwen2's Q/K/V biases are O(1)) is added in the kernel's epilogue.
void check_shape(int64_t n, int64_t in, int64_t out, bool with_bias = false) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("n=" + std::to_string(n) + " in=" + std::to_string(in) + " out=" + std::to_string(out) +
               (with_bias ? " bias" : "") + " seed=" + std::to_string(seed));
  ASSERT_TRUE(gemv_xwt_f16_supported(n, in, out));
  std::vector<float> x_f, w_f, bias_f;
  DeviceBuffer<__half> x(random_half(size_t(n * in), 1.0f, seed, &x_f));
  DeviceBuffer<__half> w(random_half(size_t(out * in), float(1.0 / std::sqrt(double(in))), seed + 1, &w_f));
  DeviceBuffer<__half> bias_d(random_half(size_t(out), 1.0f, seed + 2, &bias_f));
  const __half* bias = with_bias ? bias_d.get() : nullptr;
  std::vector<float> ref(size_t(n * out));
  ref::linear_xwt(nullptr, x_f.data(), w_f.data(), with_bias ? bias_f.data() : nullptr, ref.data(), n, in, out);
  DeviceBuffer<__half> y(size_t(n * out));
  for (const int rows : {1, 2, 4}) {
    SCOPED_TRACE("rows_per_block=" + std::to_string(rows));
    y.poison();
    gemv_xwt_f16_rows(x.get(), w.get(), bias, y.get(), n, in, out, rows, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol));
  }
  y.poison();
  gemv_xwt_f16(x.get(), w.get(), bias, y.get(), n, in, out, nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol));
}

TEST(GemvXwtF16, EveryTokenCountMatchesReference) {
  ROOFLM_REQUIRE_GPU();
  for (int64_t n = 1; n <= kGemvMaxTokens; ++n) check_shape(n, 4096, 257);
}

// Bias in the epilogue, every decode batch size 1..8 (Qwen2 decode), a Q/K/V-like shape and odd ones.
TEST(GemvXwtF16, BiasIsAddedToEveryRow) {
  ROOFLM_REQUIRE_GPU();
  for (int64_t n = 1; n <= 8; ++n) {
    check_shape(n, 4096, 257, true);
    check_shape(n, 896, 1152, true);  // Qwen2-0.5B's fused QKV: 896 -> (14 + 2 * 2) * 64
  }
  check_shape(3, 8, 3, true);
  check_shape(16, 11008, 17, true);
}

TEST(GemvXwtF16, LongAndOddInnerDimsMatchReference) {
  ROOFLM_REQUIRE_GPU();
  check_shape(1, 11008, 129);   // w_down's K, several load rounds per thread
  check_shape(3, 11008, 17);
  check_shape(16, 11008, 3);    // fewer rows than one 4-row block
  check_shape(1, 1000, 1);      // K not a multiple of the 4096-element block stride
  check_shape(5, 8, 257);       // one vector per row
  check_shape(16, 4104, 1);     // K = 4096 + 8: one extra vector past the block stride
}

// The GEMV starts streaming weights before the previous kernel ends (PDL); a GEMV that consumes the
// previous GEMV's output must still see all of it. y1 is poisoned first, so reading it early
// would put NaN into y2.
TEST(GemvXwtF16, ChainedLaunchReadsTheWholePreviousOutput) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : {1, 3, 16}) {
    const uint64_t seed = std::random_device{}();
    SCOPED_TRACE("n=" + std::to_string(n) + " seed=" + std::to_string(seed));
    const int64_t in1 = 11008, mid = 4096, out2 = 8192;
    DeviceBuffer<__half> x(random_half(size_t(n * in1), 1.0f, seed));
    DeviceBuffer<__half> w1(random_half(size_t(mid * in1), float(1.0 / std::sqrt(double(in1))), seed + 1));
    std::vector<float> w2_f;
    DeviceBuffer<__half> w2(random_half(size_t(out2 * mid), float(1.0 / std::sqrt(double(mid))), seed + 2, &w2_f));
    DeviceBuffer<__half> y1(size_t(n * mid)), y2(size_t(n * out2));
    y1.poison();
    y2.poison();
    gemv_xwt_f16(x.get(), w1.get(), nullptr, y1.get(), n, in1, mid, nullptr);
    gemv_xwt_f16(y1.get(), w2.get(), nullptr, y2.get(), n, mid, out2, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<float> y1_f = to_float(y1.download());
    std::vector<float> ref(size_t(n * out2));
    ref::linear_xwt(nullptr, y1_f.data(), w2_f.data(), nullptr, ref.data(), n, mid, out2);
    EXPECT_TRUE(all_close(to_float(y2.download()), ref, kAtol, kRtol));
  }
}

// A producer that is still running when the GEMV is launched: it spins ~50 us, then writes x. The
// GEMV (PDL) may start its weight loads early but must read x only after the producer completed.
__global__ void slow_producer(__half* x, const __half* src, int64_t n, long long spin_cycles) {
  const long long start = clock64();
  while (clock64() - start < spin_cycles) {
  }
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) x[i] = src[i];
}

TEST(GemvXwtF16, WaitsForASlowProducerOfItsInput) {
  ROOFLM_REQUIRE_GPU();
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  const int64_t n = 1, in = 4096, out = 4096;
  std::vector<float> x_f, w_f;
  DeviceBuffer<__half> src(random_half(size_t(n * in), 1.0f, seed, &x_f));
  DeviceBuffer<__half> w(random_half(size_t(out * in), float(1.0 / std::sqrt(double(in))), seed + 1, &w_f));
  DeviceBuffer<__half> x(size_t(n * in)), y(size_t(n * out));
  x.poison();
  y.poison();
  slow_producer<<<4, 256>>>(x.get(), src.get(), n * in, 100000);  // ~50 us at 2 GHz
  gemv_xwt_f16(x.get(), w.get(), nullptr, y.get(), n, in, out, nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<float> ref(size_t(n * out));
  ref::linear_xwt(nullptr, x_f.data(), w_f.data(), nullptr, ref.data(), n, in, out);
  EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol));
}

// The silu_mul epilogue (gate_up_proj at fp16): y = silu(x Wg^T) * (x Wu^T) against the CPU
// reference (linear into [gate | up], then silu_mul, in fp32), every element, every rows-per-block
// variant; and bit for bit what the unfused pair (gemv_xwt_f16 of all 2 * out rows, then
// silu_mul_f16) writes, since both round gate and up to fp16 before SiLU, where silu_mul_f16 takes
// the shape (out a multiple of 8). Tolerance as above.
void check_silu_mul(int64_t n, int64_t in, int64_t out) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("n=" + std::to_string(n) + " in=" + std::to_string(in) + " out=" + std::to_string(out) +
               " seed=" + std::to_string(seed));
  std::vector<float> x_f, w_f;
  DeviceBuffer<__half> x(random_half(size_t(n * in), 1.0f, seed, &x_f));
  DeviceBuffer<__half> w(random_half(size_t(2 * out * in), float(2.0 / std::sqrt(double(in))), seed + 1, &w_f));
  std::vector<float> gate_up(size_t(n * 2 * out)), ref(size_t(n * out));
  ref::linear_xwt(nullptr, x_f.data(), w_f.data(), nullptr, gate_up.data(), n, in, 2 * out);
  ref::silu_mul(gate_up.data(), ref.data(), n, out);
  DeviceBuffer<__half> gu(size_t(n * 2 * out)), unfused(size_t(n * out)), y(size_t(n * out));
  const bool compare_unfused = out % 8 == 0;
  if (compare_unfused) {
    gemv_xwt_f16(x.get(), w.get(), nullptr, gu.get(), n, in, 2 * out, nullptr);
    silu_mul_f16(gu.get(), unfused.get(), n, out, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  }
  const std::vector<__half> unfused_h = unfused.download();
  const auto same_bits = [&](const std::vector<__half>& got) {
    if (!compare_unfused) return;
    for (size_t i = 0; i < got.size(); ++i)
      if (__half_as_ushort(got[i]) != __half_as_ushort(unfused_h[i])) {
        ADD_FAILURE() << "element " << i << ": " << __half2float(got[i]) << " vs unfused " << __half2float(unfused_h[i]);
        return;
      }
  };
  for (const int rows : {1, 2, 4}) {
    SCOPED_TRACE("rows_per_block=" + std::to_string(rows));
    y.poison();
    gemv_xwt_f16_silu_mul_rows(x.get(), w.get(), y.get(), n, in, out, rows, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<__half> got = y.download();
    EXPECT_TRUE(all_close(to_float(got), ref, kAtol, kRtol));
    same_bits(got);
  }
  y.poison();
  gemv_xwt_f16_silu_mul(x.get(), w.get(), y.get(), n, in, out, nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_TRUE(all_close(to_float(y.download()), ref, kAtol, kRtol));
  same_bits(y.download());
}

TEST(GemvXwtF16SiluMul, EveryTokenCountMatchesReferenceAndTheUnfusedPair) {
  ROOFLM_REQUIRE_GPU();
  for (int64_t n = 1; n <= kGemvMaxTokens; ++n) {
    check_silu_mul(n, 4096, 257);  // odd: the last block's rows past the end
    check_silu_mul(n, 1024, 264);  // a multiple of 8: also bit for bit against the unfused pair
  }
  check_silu_mul(1, 4096, 11008);  // Llama-2-7B's gate_up_proj
  check_silu_mul(4, 4096, 11008);
  check_silu_mul(3, 8, 3);         // one vector per row, fewer rows than a 4-row block
  check_silu_mul(2, 4104, 1);
}

TEST(GemvXwtF16, SupportedRejectsWhatTheKernelCannotDo) {
  EXPECT_TRUE(gemv_xwt_f16_supported(1, 4096, 4096));
  EXPECT_TRUE(gemv_xwt_f16_supported(16, 8, 1));
  EXPECT_FALSE(gemv_xwt_f16_supported(0, 4096, 4096));   // no tokens
  EXPECT_FALSE(gemv_xwt_f16_supported(17, 4096, 4096));  // beyond the decode range: use the GEMM
  EXPECT_FALSE(gemv_xwt_f16_supported(1, 4100, 4096));   // rows not 16-byte multiples
  EXPECT_FALSE(gemv_xwt_f16_supported(1, 4096, 0));
}

}  // namespace
}  // namespace rooflm
