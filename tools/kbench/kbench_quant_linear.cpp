// kbench quantised linear layers at Llama-2-7B decode-batch shapes: every path the registry can
// choose (gemv: the GEMVs, wherever they take the shape (n <= 8), mma: the fused mma GEMMs, cublaslt: dequantise + fp16 GEMM for W8A16, the
// int8 GEMM + dequantising epilogue for W8A8, the FP8 GEMM) beside the fp16 cuBLASLt GEMM, which
// gives each precision's crossover (kMmaQuantMaxTokens) and its speed-up over fp16.
// Each case is checked first, every element, against its reference (reference/quant_linear.h, on
// the codes and scales the GPU made; fp16: reference/linear.h) with the GPU tests' tolerances:
// 1e-2 + 1e-2 |ref|, W8A8 1e-3 |ref| of the fp16-rounded exact int32 result.
// Names: <precision>_<path>/n:<tokens>/in:<in>/out:<out>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/common/cuda_check.h"
#include "kernels/gemm/dequant_epilogue.h"
#include "kernels/gemm/gemm_cublaslt.h"
#include "kernels/gemm/gemm_quant_mma.h"
#include "kernels/gemv/gemv_quant.h"
#include "kernels/quant/quant_rows.h"
#include "kernels/quant/quant_weight.h"
#include "reference/linear.h"
#include "reference/quant_linear.h"
#include "tools/kbench/kbench_register.h"
#include "tools/kbench/kbench_timing.h"

namespace rooflm::kbench {
namespace {

struct Shape {
  int64_t in, out;
};

// Fused wqkv, wo, fused w_gate_up, w_down.
constexpr Shape kShapes[] = {{4096, 12288}, {4096, 4096}, {4096, 22016}, {11008, 4096}};
constexpr int64_t kTokens[] = {1, 2, 4, 8, 16, 24, 32, 48, 64, 128};

enum class Precision { w8a16, w8a8, fp8 };
enum class Path { gemv, mma, cublaslt };

const char* precision_name(Precision p) { return p == Precision::w8a16 ? "w8a16" : p == Precision::w8a8 ? "w8a8" : "fp8"; }
const char* path_name(Path p) { return p == Path::gemv ? "gemv" : p == Path::mma ? "mma" : "cublaslt"; }

// One rotation's quantised weight (channel scales) and input rows.
struct QuantInputs {
  QuantWeightDevice w;
  const void* x = nullptr;         // fp16 (w8a16) or codes
  const float* x_scales = nullptr;  // [n]
};

Cost quant_cost(Precision p, int64_t n, Shape s) {
  Cost c;
  const double x_bytes = p == Precision::w8a16 ? 2.0 : 1.0;
  c.bytes = double(s.in * s.out) + double(s.out) * (p == Precision::fp8 ? 4 : 2) + x_bytes * double(n * s.in) +
            2.0 * double(n * s.out) + (p == Precision::w8a16 ? 0.0 : 4.0 * double(n));
  c.flops = 2.0 * double(n) * double(s.in) * double(s.out);
  return c;
}

constexpr double kAtol = 1e-2, kRtol = 1e-2, kW8a8Rtol = 1e-3;

// The reference output of rotation 0's inputs for `prec`. The inputs of every path at one
// (precision, shape) are the same (seeded fills, deterministic quantisers), so the last result is
// kept for the next case.
const std::vector<float>& quant_reference(Precision prec, const QuantInputs& q, const __half* x16, int64_t n, Shape s) {
  static std::tuple<int, int64_t, int64_t, int64_t> key{-1, -1, -1, -1};
  static std::vector<float> y;
  if (key == std::tuple{int(prec), n, s.in, s.out}) return y;
  const std::vector<uint8_t> codes = download(q.w.codes, size_t(s.in * s.out));
  const std::vector<float> scales = prec == Precision::fp8  // channel scales: fp32 for e4m3, fp16 for int8
                                        ? download(static_cast<const float*>(q.w.scales), size_t(s.out))
                                        : download_f16(static_cast<const __half*>(q.w.scales), size_t(s.out));
  ref::QuantWeightView w;
  w.dtype = q.w.dtype;
  w.grain = ref::WeightScaleGrain::channel;
  w.rows = s.out;
  w.cols = s.in;
  w.codes = codes.data();
  w.scales = scales.data();
  y.assign(size_t(n * s.out), 0.0f);
  if (prec == Precision::w8a16) {
    ref::linear_w8a16(reference_pool(), download_f16(x16, size_t(n * s.in)).data(), w, nullptr, y.data(), n);
  } else {
    const std::vector<uint8_t> x = download(static_cast<const uint8_t*>(q.x), size_t(n * s.in));
    const std::vector<float> xs = download(q.x_scales, size_t(n));
    const ref::ActivationScales x_scales{xs.data(), true};
    if (prec == Precision::w8a8) {
      ref::linear_w8a8_int8(reference_pool(), reinterpret_cast<const int8_t*>(x.data()), x_scales, w, nullptr, y.data(), n);
      for (float& v : y) v = __half2float(__float2half(v));  // the kernels' fp16 output of the exact result
    } else {
      ref::linear_fp8(reference_pool(), x.data(), x_scales, w, nullptr, y.data(), n);
    }
  }
  key = {int(prec), n, s.in, s.out};
  return y;
}

void bench_quant(benchmark::State& state, Precision prec, Path path, int64_t n, Shape s) {
  DeviceArena arena;
  GemmCublasLt gemm;
  const DType dtype = prec == Precision::fp8 ? DType::f8e4m3 : DType::i8;
  const int rotations = rotations_for(size_t(s.in * s.out));
  std::vector<QuantInputs> in(static_cast<size_t>(rotations));
  const __half* x16_first = nullptr;
  const size_t scale_bytes = size_t(weight_scale_bytes(dtype, WeightGrain::channel, s.out, s.in, 0));
  for (int r = 0; r < rotations; ++r) {
    const __half* w16 = arena.f16(size_t(s.in * s.out), float(1.0 / std::sqrt(double(s.in))), uint64_t(2 * r + 1));
    auto* codes = static_cast<uint8_t*>(arena.bytes(size_t(s.in * s.out)));
    void* scales = arena.bytes(scale_bytes);
    if (!quantize_weight_f16(w16, s.out, s.in, dtype, WeightGrain::channel, 0, codes, scales, nullptr))
      state.SkipWithError("quantize_weight_f16 failed");
    QuantInputs& q = in[size_t(r)];
    q.w = {dtype, WeightGrain::channel, s.out, s.in, 0, codes, scales};
    const __half* x16 = arena.f16(size_t(n * s.in), 1.0f, uint64_t(2 * r));
    if (r == 0) x16_first = x16;
    if (prec == Precision::w8a16) {
      q.x = x16;
    } else {
      auto* xq = static_cast<uint8_t*>(arena.bytes(size_t(n * s.in)));
      auto* xs = static_cast<float*>(arena.bytes(size_t(n) * sizeof(float)));
      quantize_rows_f16(x16, {dtype, xq, xs, 0.0f}, n, s.in, nullptr);
      q.x = xq;
      q.x_scales = xs;
    }
  }
  auto* y = static_cast<__half*>(arena.bytes(size_t(n * s.out) * sizeof(__half)));
  void* acc = arena.bytes(size_t(n * s.out) * 4);
  auto* dequant = static_cast<__half*>(arena.bytes(size_t(s.in * s.out) * sizeof(__half)));
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  const auto h = [](const void* p) { return static_cast<const __half*>(p); };
  const auto u8 = [](const void* p) { return static_cast<const uint8_t*>(p); };
  time_launches(
      state,
      [&](int r, cudaStream_t stream) {
        const QuantInputs& q = in[size_t(r)];
        if (path == Path::gemv) {
          if (prec == Precision::w8a16)
            gemv_w8a16(h(q.x), q.w, nullptr, y, n, stream);
          else
            gemv_w8a8(u8(q.x), q.x_scales, q.w, nullptr, y, n, stream);
        } else if (path == Path::mma) {
          if (prec == Precision::w8a16)
            gemm_mma_w8a16(h(q.x), q.w, nullptr, y, n, stream);
          else
            gemm_mma_w8a8(u8(q.x), q.x_scales, q.w, nullptr, y, n, stream);
        } else if (prec == Precision::w8a16) {
          dequantize_weight_f16(q.w, dequant, stream);
          gemm.xwt_f16(h(q.x), dequant, nullptr, y, n, s.in, s.out, stream);
        } else if (prec == Precision::w8a8) {
          gemm.xwt_s8_s32(static_cast<const int8_t*>(q.x), reinterpret_cast<const int8_t*>(q.w.codes),
                          static_cast<int32_t*>(acc), n, s.in, s.out, stream);
          dequant_epilogue_s32(static_cast<const int32_t*>(acc), q.x_scales, static_cast<const __half*>(q.w.scales), true,
                               nullptr, y, n, s.out, stream);
        } else if (!gemm.xwt_e4m3_scaled(u8(q.x), q.x_scales, q.w.codes, static_cast<const float*>(q.w.scales), nullptr, y,
                                         n, s.in, s.out, stream)) {
          gemm.xwt_e4m3_f32(u8(q.x), q.w.codes, static_cast<float*>(acc), n, s.in, s.out, stream);
          dequant_epilogue_f32(static_cast<const float*>(acc), q.x_scales, static_cast<const float*>(q.w.scales), true,
                               nullptr, y, n, s.out, stream);
        }
      },
      rotations, quant_cost(prec, n, s), [&] {
        const std::vector<float>& ref = quant_reference(prec, in[0], x16_first, n, s);
        const double atol = prec == Precision::w8a8 ? 0.0 : kAtol, rtol = prec == Precision::w8a8 ? kW8a8Rtol : kRtol;
        return ref::compare_close(download_f16(y, ref.size()).data(), ref.data(), ref.size(), atol, rtol);
      });
}

void bench_f16(benchmark::State& state, int64_t n, Shape s) {
  DeviceArena arena;
  GemmCublasLt gemm;
  const int rotations = rotations_for(size_t(2 * s.in * s.out));
  std::vector<const __half*> x, w;
  for (int r = 0; r < rotations; ++r) {
    x.push_back(arena.f16(size_t(n * s.in), 1.0f, uint64_t(2 * r)));
    w.push_back(arena.f16(size_t(s.in * s.out), float(1.0 / std::sqrt(double(s.in))), uint64_t(2 * r + 1)));
  }
  auto* y = static_cast<__half*>(arena.bytes(size_t(n * s.out) * sizeof(__half)));
  Cost c;
  c.bytes = 2.0 * double(n * s.in + s.in * s.out + n * s.out);
  c.flops = 2.0 * double(n) * double(s.in) * double(s.out);
  const Check check = [&] {
    std::vector<float> ref(size_t(n * s.out));
    ref::linear_xwt(reference_pool(), download_f16(x[0], size_t(n * s.in)).data(),
                    download_f16(w[0], size_t(s.in * s.out)).data(), nullptr, ref.data(), n, s.in, s.out);
    return ref::compare_close(download_f16(y, ref.size()).data(), ref.data(), ref.size(), kAtol, kRtol);
  };
  time_launches(state, [&](int r, cudaStream_t stream) { gemm.xwt_f16(x[r], w[r], nullptr, y, n, s.in, s.out, stream); },
                rotations, c, check);
}

std::string name(const std::string& kernel, int64_t n, Shape s) {
  return kernel + "/n:" + std::to_string(n) + "/in:" + std::to_string(s.in) + "/out:" + std::to_string(s.out);
}

}  // namespace

void register_quant_linear_benchmarks() {
  for (const Shape s : kShapes)
    for (const int64_t n : kTokens) {
      add_case(name("f16_cublaslt", n, s),
                                             [n, s](benchmark::State& st) { bench_f16(st, n, s); });
      for (const Precision p : {Precision::w8a16, Precision::w8a8, Precision::fp8})
        for (const Path path : {Path::gemv, Path::mma, Path::cublaslt}) {
          if (path == Path::gemv && !gemv_quant_supported(n, s.in, s.out)) continue;
          add_case(
              name(std::string(precision_name(p)) + "_" + path_name(path), n, s),
              [p, path, n, s](benchmark::State& st) { bench_quant(st, p, path, n, s); });
        }
    }
}

}  // namespace rooflm::kbench
