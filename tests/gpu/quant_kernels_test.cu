// The precision axis' kernels vs the CPU references (reference/quant.h, quant_linear.h), every
// element, fresh random inputs (the seed is in the trace):
//   quantize_weight_f16 / dequantize_weight_f16: codes and scales bit for bit as ref::quantize_weight
//     (tensor, channel, group; int8 and e4m3; an all-zero row and a single huge outlier included),
//     dequantised fp16 = fp16(code * scale);
//   quantize_rows_f16: codes and scales bit for bit (dynamic and static, saturating);
//   rmsnorm_quant, add_rmsnorm_quant, silu_mul_quant: scales within 1e-5 relative and codes within
//     one step of the reference's quantisation of its fp32 output (the GPU's fp32 values differ in
//     the last bits: a value on a rounding boundary may land one code away), >= 99% exact;
//   linear (registry choices at n = 1..100: the GEMVs, the mma GEMMs and cuBLASLt, with and without
//   bias; the GEMVs also called directly at n = 1..8 and the mma GEMMs at n = 1 and n = 70):
//     W8A16 and FP8: 1e-2 + 1e-2 |ref| (fp32 sums in other orders, fp16 output; FP8's GEMM may
//       multiply its scales in another order);
//     W8A8 int8: the exact int32 sum and the reference's epilogue order: fp16(ref) within 1e-3
//       relative (the GEMM path's epilogue matches to the bit; 1e-3 leaves room for none else).
#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "common/half.h"
#include "kernels/activation/activation_f16.h"
#include "kernels/gemm/gemm_cublaslt.h"
#include "kernels/gemm/gemm_quant_mma.h"
#include "kernels/gemv/gemv_quant.h"
#include "kernels/norm/rmsnorm_f16.h"
#include "kernels/quant/quant_rows.h"
#include "kernels/quant/quant_weight.h"
#include "kernels/registry.h"
#include "reference/activation.h"
#include "reference/norm.h"
#include "reference/quant.h"
#include "reference/quant_linear.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

ref::WeightScaleGrain ref_grain(WeightGrain g) {
  return g == WeightGrain::tensor ? ref::WeightScaleGrain::tensor
         : g == WeightGrain::group ? ref::WeightScaleGrain::group
                                   : ref::WeightScaleGrain::channel;
}

const char* grain_name(WeightGrain g) {
  return g == WeightGrain::tensor ? "tensor" : g == WeightGrain::group ? "group" : "channel";
}

// A weight quantised on the GPU, with its reference quantisation.
struct QuantCase {
  DeviceBuffer<uint8_t> codes;
  DeviceBuffer<uint8_t> scales;  // raw bytes: __half or float
  QuantWeightDevice view;
  ref::QuantizedWeight ref;
  std::vector<float> w;  // the fp16 values
};

QuantCase quantize_case(int64_t rows, int64_t cols, DType dtype, WeightGrain grain, int64_t group, uint64_t seed,
                        bool special_rows = true) {
  QuantCase c;
  std::vector<__half> w = random_half(size_t(rows * cols), float(1.0 / std::sqrt(double(cols))), seed, &c.w);
  if (special_rows && rows >= 3) {
    for (int64_t j = 0; j < cols; ++j) w[size_t(j)] = __float2half(0.0f), c.w[size_t(j)] = 0.0f;  // an all-zero row
    w[size_t(cols + 5)] = __float2half(40.0f), c.w[size_t(cols + 5)] = 40.0f;                       // one huge outlier
  }
  DeviceBuffer<__half> wd(w);
  c.codes = DeviceBuffer<uint8_t>(size_t(rows * cols));
  c.scales = DeviceBuffer<uint8_t>(size_t(weight_scale_bytes(dtype, grain, rows, cols, group)));
  EXPECT_TRUE(quantize_weight_f16(wd.get(), rows, cols, dtype, grain, group, c.codes.get(), c.scales.get(), nullptr));
  c.view = {dtype, grain, rows, cols, grain == WeightGrain::group ? group : 0, c.codes.get(), c.scales.get()};
  c.ref = ref::quantize_weight(c.w.data(), rows, cols, dtype, ref_grain(grain), group);
  return c;
}

std::vector<float> device_scales(const QuantCase& c) {
  const std::vector<uint8_t> raw = c.scales.download();
  std::vector<float> out;
  if (c.view.dtype == DType::i8) {
    for (size_t i = 0; i + 1 < raw.size(); i += 2) out.push_back(fp16_to_float(uint16_t(raw[i] | (raw[i + 1] << 8))));
  } else {
    out.resize(raw.size() / 4);
    std::memcpy(out.data(), raw.data(), out.size() * 4);
  }
  return out;
}

TEST(QuantizeWeightF16, CodesAndScalesEqualTheReferenceBitForBit) {
  ROOFLM_REQUIRE_GPU();
  const uint64_t seed = std::random_device{}();
  for (const DType dtype : {DType::i8, DType::f8e4m3})
    for (const WeightGrain grain : {WeightGrain::tensor, WeightGrain::channel, WeightGrain::group}) {
      if (dtype == DType::f8e4m3 && grain == WeightGrain::group) continue;
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + grain_name(grain) + " seed=" + std::to_string(seed));
      const QuantCase c = quantize_case(37, 256, dtype, grain, 32, seed);
      EXPECT_EQ(c.codes.download(), c.ref.codes);
      EXPECT_EQ(device_scales(c), c.ref.scales);
    }
}

TEST(QuantizeWeightF16, NonFiniteWeightsAreReported) {
  ROOFLM_REQUIRE_GPU();
  std::vector<__half> w(64 * 16, __float2half(0.5f));
  w[100] = __float2half(INFINITY);
  DeviceBuffer<__half> wd(w);
  DeviceBuffer<uint8_t> codes(w.size()), scales(64 * 2);
  EXPECT_FALSE(quantize_weight_f16(wd.get(), 64, 16, DType::i8, WeightGrain::channel, 0, codes.get(), scales.get(), nullptr));
}

TEST(DequantizeWeightF16, IsTheFp16OfCodeTimesScale) {
  ROOFLM_REQUIRE_GPU();
  const uint64_t seed = std::random_device{}();
  for (const WeightGrain grain : {WeightGrain::tensor, WeightGrain::channel, WeightGrain::group}) {
    SCOPED_TRACE(std::string(grain_name(grain)) + " seed=" + std::to_string(seed));
    const QuantCase c = quantize_case(19, 512, DType::i8, grain, 64, seed);
    DeviceBuffer<__half> y(size_t(19 * 512));
    y.poison();
    dequantize_weight_f16(c.view.rows_from(2, 17), y.get(), nullptr);  // a row slice, as a node reads it
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<float> ref(size_t(17 * 512));
    ref::dequantize_weight(ref::view_rows(c.ref, 2, 17), ref.data());
    for (float& v : ref) v = round_to_fp16(v);
    std::vector<float> got = to_float(y.download());
    got.resize(ref.size());
    EXPECT_TRUE(all_close(got, ref, 0, 0));
  }
}

// Codes within one step of the reference's, most exact; scales close.
void expect_codes_close(DType dtype, const std::vector<uint8_t>& got, const std::vector<uint8_t>& ref, double exact_share) {
  ASSERT_EQ(got.size(), ref.size());
  size_t exact = 0, far = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const float g = ref::code_value(dtype, got[i]), r = ref::code_value(dtype, ref[i]);
    if (got[i] == ref[i]) ++exact;
    // one step: int8 1; e4m3: the next code either side (codes of one sign are monotonic)
    else if (!(dtype == DType::i8 ? std::abs(g - r) <= 1 : std::abs(int(got[i]) - int(ref[i])) <= 1)) ++far;
  }
  EXPECT_EQ(far, 0u);
  EXPECT_GE(double(exact), exact_share * double(ref.size()));
}

void expect_scales_close(const std::vector<float>& got, const std::vector<float>& ref) {
  EXPECT_TRUE(all_close(got, ref, 1e-12, 1e-5));
}

TEST(QuantizeRowsF16, DynamicAndStaticEqualTheReference) {
  ROOFLM_REQUIRE_GPU();
  const uint64_t seed = std::random_device{}();
  const int64_t n = 5, cols = 1000;
  std::vector<float> xf;
  std::vector<__half> x = random_half(size_t(n * cols), 3.0f, seed, &xf);
  for (int64_t j = 0; j < cols; ++j) x[size_t(cols + j)] = __float2half(0.0f), xf[size_t(cols + j)] = 0.0f;  // zero row
  DeviceBuffer<__half> xd(x);
  for (const DType dtype : {DType::i8, DType::f8e4m3})
    for (const float static_scale : {0.0f, 0.01f}) {  // 0.01: |x| / scale saturates beyond 1.27 / 4.48
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " static " + std::to_string(static_scale) + " seed=" + std::to_string(seed));
      DeviceBuffer<uint8_t> codes(size_t(n * cols));
      DeviceBuffer<float> scales(static_cast<size_t>(n));
      quantize_rows_f16(xd.get(), {dtype, codes.get(), scales.get(), static_scale}, n, cols, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      std::vector<uint8_t> ref_codes(size_t(n * cols));
      std::vector<float> ref_scales(size_t(n), static_scale);
      if (static_scale == 0)
        ref::quantize_activations_per_token(dtype, xf.data(), n, cols, ref_codes.data(), ref_scales.data());
      else
        ref::quantize_activations_static(dtype, xf.data(), n * cols, static_scale, ref_codes.data());
      EXPECT_EQ(codes.download(), ref_codes);
      EXPECT_EQ(scales.download(), ref_scales);
    }
}

TEST(RmsnormQuant, NormedRowsQuantisedAsTheReference) {
  ROOFLM_REQUIRE_GPU();
  const uint64_t seed = std::random_device{}();
  const int64_t n = 7, dim = 4096;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> x(size_t(n * dim));
  for (float& v : x) v = u(rng);
  std::vector<float> rf, wf;
  const std::vector<__half> r = random_half(size_t(n * dim), 1.0f, seed + 1, &rf);
  const std::vector<__half> w = random_half(size_t(dim), 1.5f, seed + 2, &wf);
  DeviceBuffer<__half> rd(r), wd(w);
  for (const bool add : {false, true})
    for (const DType dtype : {DType::i8, DType::f8e4m3})
      for (const float static_scale : {0.0f, 0.02f}) {
        SCOPED_TRACE(std::string(add ? "add_" : "") + "rmsnorm " + std::string(dtype_name(dtype)) + " static " +
                     std::to_string(static_scale) + " seed=" + std::to_string(seed));
        DeviceBuffer<float> xd(x);
        DeviceBuffer<uint8_t> codes(size_t(n * dim));
        DeviceBuffer<float> scales(static_cast<size_t>(n));
        const QuantizedRows out{dtype, codes.get(), scales.get(), static_scale};
        if (add)
          add_rmsnorm_quant(xd.get(), rd.get(), wd.get(), out, n, dim, 1e-5f, nullptr);
        else
          rmsnorm_quant(xd.get(), wd.get(), out, n, dim, 1e-5f, nullptr);
        ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
        std::vector<float> xr = x, h(size_t(n * dim));
        if (add) ref::residual_add(xr.data(), rf.data(), n, dim);
        ref::rmsnorm(xr.data(), wf.data(), h.data(), n, dim, 1e-5);
        std::vector<uint8_t> ref_codes(size_t(n * dim));
        std::vector<float> ref_scales(size_t(n), static_scale);
        if (static_scale == 0)
          ref::quantize_activations_per_token(dtype, h.data(), n, dim, ref_codes.data(), ref_scales.data());
        else
          ref::quantize_activations_static(dtype, h.data(), n * dim, static_scale, ref_codes.data());
        expect_codes_close(dtype, codes.download(), ref_codes, 0.99);
        expect_scales_close(scales.download(), ref_scales);
        if (add) EXPECT_TRUE(all_close(xd.download(), xr, 1e-6, 1e-6)) << "the residual stream";
      }
}

TEST(SiluMulQuant, ActivationRowsQuantisedAsTheReference) {
  ROOFLM_REQUIRE_GPU();
  const uint64_t seed = std::random_device{}();
  const int64_t n = 3, ffn = 11008;
  std::vector<float> gf;
  const std::vector<__half> gate_up = random_half(size_t(n * 2 * ffn), 4.0f, seed, &gf);
  DeviceBuffer<__half> gd(gate_up);
  std::vector<float> y(size_t(n * ffn));
  ref::silu_mul(gf.data(), y.data(), n, ffn);
  for (const DType dtype : {DType::i8, DType::f8e4m3}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)) + " seed=" + std::to_string(seed));
    DeviceBuffer<uint8_t> codes(size_t(n * ffn));
    DeviceBuffer<float> scales(static_cast<size_t>(n));
    silu_mul_quant(gd.get(), {dtype, codes.get(), scales.get(), 0.0f}, n, ffn, nullptr);
    ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<uint8_t> ref_codes(size_t(n * ffn));
    std::vector<float> ref_scales(static_cast<size_t>(n));
    ref::quantize_activations_per_token(dtype, y.data(), n, ffn, ref_codes.data(), ref_scales.data());
    expect_codes_close(dtype, codes.download(), ref_codes, 0.99);
    expect_scales_close(scales.download(), ref_scales);
  }
}

// One linear layer through the registry's choice for (weight, input) dtypes at n tokens, or through
// the mma GEMM called directly.
enum class LinearPath { registry, gemv, mma };

void check_linear(DType weight, DType input, WeightGrain grain, int64_t n, int64_t in, int64_t out, bool with_bias,
                  LinearPath path = LinearPath::registry) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE(std::string(dtype_name(weight)) + " weights, " + std::string(dtype_name(input)) + " inputs, " +
               grain_name(grain) + " n=" + std::to_string(n) + " in=" + std::to_string(in) + " out=" +
               std::to_string(out) + (with_bias ? " bias" : "") + " seed=" + std::to_string(seed));
  const QuantCase w = quantize_case(out + 3, in, weight, grain, 64, seed, /*special_rows=*/true);
  const QuantWeightDevice rows = w.view.rows_from(3, out);  // a node's row slice (q_proj of wqkv, ...)
  const ref::QuantWeightView ref_rows = ref::view_rows(w.ref, 3, out);
  std::vector<float> xf, bf;
  const std::vector<__half> x = random_half(size_t(n * in), 2.0f, seed + 1, &xf);
  const std::vector<__half> b = random_half(size_t(out), 1.0f, seed + 2, &bf);
  DeviceBuffer<__half> xd(x), bd(b), y(size_t(n * out));
  DeviceBuffer<uint8_t> xq(size_t(n * in));
  DeviceBuffer<float> xs(static_cast<size_t>(n));
  DeviceBuffer<uint8_t> acc(size_t(n * out) * 4), dequant(size_t(out * in) * 2);
  std::vector<float> ref(size_t(n * out));
  const float* bias = with_bias ? bf.data() : nullptr;
  KernelQuery q;
  q.op = KernelOp::linear;
  q.weight = weight;
  q.activation = input;
  q.weight_grain = grain;
  q.group_size = grain == WeightGrain::group ? 64 : 0;
  q.n = n;
  q.in = in;
  q.out = out;
  q.bias = with_bias;
  GemmCublasLt gemm;
  KernelArgs a;
  a.wq = &rows;
  a.bias = with_bias ? bd.get() : nullptr;
  a.y = y.get();
  a.gemm = &gemm;
  a.acc = acc.get();
  a.dequant = reinterpret_cast<__half*>(dequant.get());
  double atol = 1e-2, rtol = 1e-2;
  if (input == DType::f16) {
    a.x = xd.get();
    ref::linear_w8a16(nullptr, xf.data(), ref_rows, bias, ref.data(), n);
  } else {  // quantised per token, as the producing op would
    quantize_rows_f16(xd.get(), {input, xq.get(), xs.get(), 0.0f}, n, in, nullptr);
    a.x = xq.get();
    a.x_scales = xs.get();
    std::vector<uint8_t> codes(size_t(n * in));
    std::vector<float> scales(static_cast<size_t>(n));
    ref::quantize_activations_per_token(input, xf.data(), n, in, codes.data(), scales.data());
    const ref::ActivationScales s{scales.data(), true};
    if (input == DType::i8) {
      ref::linear_w8a8_int8(nullptr, reinterpret_cast<const int8_t*>(codes.data()), s, ref_rows, bias, ref.data(), n);
      for (float& v : ref) v = round_to_fp16(v);
      atol = 0;
      rtol = 1e-3;
    } else {
      ref::linear_fp8(nullptr, codes.data(), s, ref_rows, bias, ref.data(), n);
    }
  }
  y.poison();
  if (path == LinearPath::gemv) {
    SCOPED_TRACE("gemv direct");
    ASSERT_TRUE(gemv_quant_supported(n, in, out));
    if (input == DType::f16)
      gemv_w8a16(static_cast<const __half*>(a.x), rows, a.bias, y.get(), n, nullptr);
    else
      gemv_w8a8(static_cast<const uint8_t*>(a.x), a.x_scales, rows, a.bias, y.get(), n, nullptr);
  } else if (path == LinearPath::mma) {
    SCOPED_TRACE("gemm_mma direct");
    ASSERT_TRUE(gemm_quant_mma_supported(n, in, out, grain, q.group_size));
    if (input == DType::f16)
      gemm_mma_w8a16(static_cast<const __half*>(a.x), rows, a.bias, y.get(), n, nullptr);
    else
      gemm_mma_w8a8(static_cast<const uint8_t*>(a.x), a.x_scales, rows, a.bias, y.get(), n, nullptr);
  } else {
    const KernelChoice k = select_kernel(q);
    ASSERT_TRUE(k.supported) << k.why_not;
    SCOPED_TRACE(k.name);
    KernelRegistry registry;
    registry.launch(k, q, a, nullptr);
  }
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_TRUE(all_close(to_float(y.download()), ref, atol, rtol));
}

// Every registry path (registry.h: the GEMV, the mma GEMM with one to four 8-token tiles, partial
// tiles and two 32-token blocks, cuBLASLt), then the GEMVs and mma GEMMs directly.
constexpr int64_t kLinearTokens[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 24, 31, 33, 64, 100};

void check_direct_paths(DType weight, DType input, WeightGrain grain) {
  for (int64_t n = 1; n <= kGemvQuantMaxTokens; ++n) check_linear(weight, input, grain, n, 4096, 130, n % 2 == 1, LinearPath::gemv);
  check_linear(weight, input, grain, 1, 1024, 100, false, LinearPath::mma);
  check_linear(weight, input, grain, 70, 1024, 100, true, LinearPath::mma);
}

TEST(QuantLinear, W8A16EveryTokenCountAndEveryPath) {
  ROOFLM_REQUIRE_GPU();
  for (const WeightGrain grain : {WeightGrain::channel, WeightGrain::group, WeightGrain::tensor})
    for (const int64_t n : kLinearTokens) check_linear(DType::i8, DType::f16, grain, n, 4096, 260, n % 2 == 1);
  check_linear(DType::i8, DType::f16, WeightGrain::channel, 1, 11008, 129, false);
  check_linear(DType::i8, DType::f16, WeightGrain::channel, 32, 11008, 4096, true);
  check_linear(DType::i8, DType::f16, WeightGrain::channel, 3, 16, 1, true);
  for (const WeightGrain grain : {WeightGrain::channel, WeightGrain::group}) check_direct_paths(DType::i8, DType::f16, grain);
}

TEST(QuantLinear, W8A8Int8EveryTokenCountAndEveryPath) {
  ROOFLM_REQUIRE_GPU();
  for (const WeightGrain grain : {WeightGrain::channel, WeightGrain::tensor})
    for (const int64_t n : kLinearTokens) check_linear(DType::i8, DType::i8, grain, n, 4096, 260, n % 2 == 0);
  check_linear(DType::i8, DType::i8, WeightGrain::channel, 1, 11008, 129, false);
  check_linear(DType::i8, DType::i8, WeightGrain::channel, 32, 11008, 4096, true);
  check_linear(DType::i8, DType::i8, WeightGrain::channel, 100, 1024, 4096, true);
  check_direct_paths(DType::i8, DType::i8, WeightGrain::channel);
}

TEST(QuantLinear, Fp8EveryTokenCountAndEveryPath) {
  ROOFLM_REQUIRE_GPU();
  for (const WeightGrain grain : {WeightGrain::channel, WeightGrain::tensor})
    for (const int64_t n : kLinearTokens) check_linear(DType::f8e4m3, DType::f8e4m3, grain, n, 4096, 256, n % 2 == 0);
  check_linear(DType::f8e4m3, DType::f8e4m3, WeightGrain::channel, 32, 11008, 4096, true);
  check_linear(DType::f8e4m3, DType::f8e4m3, WeightGrain::channel, 100, 1024, 4096, true);
  check_direct_paths(DType::f8e4m3, DType::f8e4m3, WeightGrain::tensor);
}

}  // namespace
}  // namespace rooflm
