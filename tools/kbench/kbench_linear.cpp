// kbench linear layers: the cuBLASLt GEMM at Llama-2-7B prefill shapes (n = 350, 2048), and at
// decode sizes (n = 1..16) the custom GEMV (every rows-per-block variant) beside cuBLASLt, which
// gives the crossover where the registry should switch to the GEMM; and gate_up_proj at decode as
// the GEMV with its silu_mul epilogue beside the unfused pair (GEMV into [gate | up], silu_mul_f16).
// Each case is checked first against ref::linear_xwt (every element; the GPU tests' tolerance:
// 1e-2 + 1e-2 |ref| for fp16 outputs, 1e-3 + 1e-3 |ref| for the fp32 residual stream).
// Names: <kernel>/n:<tokens>/in:<in>/out:<out>[/rows:<rows per block>] (silu_mul cases: out = ffn,
// the weight [2 * ffn, in])
#include <cmath>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/activation/activation_f16.h"
#include "kernels/common/cuda_check.h"
#include "kernels/gemm/gemm_cublaslt.h"
#include "kernels/gemv/gemv_f16.h"
#include "reference/activation.h"
#include "reference/linear.h"
#include "tools/kbench/kbench_register.h"
#include "tools/kbench/kbench_timing.h"

namespace rooflm::kbench {
namespace {

struct LinearShape {
  int64_t in, out;
};

// Llama-2-7B: wq/wk/wv/wo, w_gate/w_up, w_down, fused wqkv, fused w_gate_up.
constexpr LinearShape kPrefillShapes[] = {{4096, 4096}, {4096, 11008}, {11008, 4096}, {4096, 12288}, {4096, 22016}};
constexpr int64_t kPrefillTokens[] = {350, 2048};
// Decode: the same projections plus the LM head [32000, 4096].
constexpr LinearShape kDecodeShapes[] = {{4096, 4096}, {4096, 11008}, {11008, 4096}, {4096, 32000}};
constexpr int64_t kDecodeTokens[] = {1, 2, 4, 5, 6, 7, 8, 16};  // 5..8 pin the crossover

Cost linear_cost(int64_t n, LinearShape s, size_t y_bytes_per_element, bool reads_y) {
  Cost c;
  c.bytes = 2.0 * double(n * s.in + s.in * s.out) + double(n * s.out) * double(y_bytes_per_element) * (reads_y ? 2 : 1);
  c.flops = 2.0 * double(n) * double(s.in) * double(s.out);
  return c;
}

// Input sets: x [n, in] and W [out, in] per rotation.
struct LinearInputs {
  std::vector<const __half*> x, w;
  int rotations = 0;
};

LinearInputs make_inputs(DeviceArena& arena, int64_t n, LinearShape s) {
  LinearInputs in;
  in.rotations = rotations_for(size_t(2 * (n * s.in + s.in * s.out)));
  for (int r = 0; r < in.rotations; ++r) {
    in.x.push_back(arena.f16(size_t(n * s.in), 1.0f, uint64_t(2 * r)));
    in.w.push_back(arena.f16(size_t(s.in * s.out), float(1.0 / std::sqrt(double(s.in))), uint64_t(2 * r + 1)));
  }
  return in;
}

constexpr double kAtol = 1e-2, kRtol = 1e-2;        // fp16 output (gemm_test.cu, gemv_test.cu)
constexpr double kResidualTol = 1e-3;                // fp32 residual stream (gemm_test.cu)
constexpr uint32_t kResidualBits = 0x3c3c3c3c;      // the residual stream's initial value in every element

// x W^T of rotation 0's inputs in fp32. The inputs are the same for every case of one shape (the
// synthetic fill is seeded by rotation), so the last shape's result is kept for the next case.
const std::vector<float>& reference_output(const LinearInputs& in, int64_t n, LinearShape s) {
  static std::tuple<int64_t, int64_t, int64_t> key{-1, -1, -1};
  static std::vector<float> y;
  if (key != std::tuple{n, s.in, s.out}) {
    const std::vector<float> x = download_f16(in.x[0], size_t(n * s.in));
    const std::vector<float> w = download_f16(in.w[0], size_t(s.in * s.out));
    y.assign(size_t(n * s.out), 0.0f);
    ref::linear_xwt(reference_pool(), x.data(), w.data(), nullptr, y.data(), n, s.in, s.out);
    key = {n, s.in, s.out};
  }
  return y;
}

Check check_f16_output(const LinearInputs& in, const __half* y, int64_t n, LinearShape s) {
  return [&in, y, n, s] {
    const std::vector<float>& ref = reference_output(in, n, s);
    const std::vector<float> got = download_f16(y, ref.size());
    return ref::compare_close(got.data(), ref.data(), ref.size(), kAtol, kRtol);
  };
}

void bench_gemm(benchmark::State& state, int64_t n, LinearShape s) {
  DeviceArena arena;
  GemmCublasLt gemm;
  const LinearInputs in = make_inputs(arena, n, s);
  auto* y = static_cast<__half*>(arena.bytes(size_t(n * s.out) * sizeof(__half)));
  time_launches(state, [&](int r, cudaStream_t stream) { gemm.xwt_f16(in.x[r], in.w[r], nullptr, y, n, s.in, s.out, stream); },
                in.rotations, linear_cost(n, s, sizeof(__half), false), check_f16_output(in, y, n, s));
}

void bench_gemm_add_residual(benchmark::State& state, int64_t n, LinearShape s) {
  DeviceArena arena;
  GemmCublasLt gemm;
  const LinearInputs in = make_inputs(arena, n, s);
  auto* residual = static_cast<float*>(arena.bytes(size_t(n * s.out) * sizeof(float)));
  ROOFLM_CUDA_CHECK(cudaMemset(residual, kResidualBits & 0xff, size_t(n * s.out) * sizeof(float)));  // 0.0115
  const Check check = [&] {  // after one launch: the initial stream + x W^T
    float initial = 0;
    std::memcpy(&initial, &kResidualBits, sizeof(initial));
    std::vector<float> ref = reference_output(in, n, s);
    for (float& v : ref) v += initial;
    const std::vector<float> got = download_f32(residual, ref.size());
    return ref::compare_close(got.data(), ref.data(), ref.size(), kResidualTol, kResidualTol);
  };
  time_launches(state,
                [&](int r, cudaStream_t stream) { gemm.xwt_add_residual_f16(in.x[r], in.w[r], residual, n, s.in, s.out, stream); },
                in.rotations, linear_cost(n, s, sizeof(float), true), check);
}

void bench_gemv(benchmark::State& state, int64_t n, LinearShape s, int rows) {
  DeviceArena arena;
  const LinearInputs in = make_inputs(arena, n, s);
  auto* y = static_cast<__half*>(arena.bytes(size_t(n * s.out) * sizeof(__half)));
  time_launches(state,
                [&](int r, cudaStream_t stream) { gemv_xwt_f16_rows(in.x[r], in.w[r], nullptr, y, n, s.in, s.out, rows, stream); },
                in.rotations, linear_cost(n, s, sizeof(__half), false), check_f16_output(in, y, n, s));
}

// gate_up_proj at decode: W [2 * ffn, in]; the output silu(gate) * up [n, ffn]. `fused`: the GEMV's
// silu_mul epilogue; else the GEMV writes [gate | up] and silu_mul_f16 reads it back.
void bench_gate_up_silu(benchmark::State& state, int64_t n, int64_t in, int64_t ffn, bool fused, int rows) {
  DeviceArena arena;
  const LinearShape gate_up{in, 2 * ffn};
  const LinearInputs inputs = make_inputs(arena, n, gate_up);
  auto* gu = static_cast<__half*>(arena.bytes(size_t(n * 2 * ffn) * sizeof(__half)));
  auto* y = static_cast<__half*>(arena.bytes(size_t(n * ffn) * sizeof(__half)));
  Cost c = linear_cost(n, gate_up, sizeof(__half), false);
  c.bytes += fused ? -double(n * ffn * 2) : double(n * 2 * ffn * 2 + n * ffn * 2);  // y only; or [gate|up] read + y
  const Check check = [&inputs, y, n, in, ffn, gate_up] {
    const std::vector<float>& product = reference_output(inputs, n, gate_up);
    std::vector<float> ref(size_t(n * ffn));
    ref::silu_mul(product.data(), ref.data(), n, ffn);
    const std::vector<float> got = download_f16(y, ref.size());
    return ref::compare_close(got.data(), ref.data(), ref.size(), kAtol, kRtol);
  };
  time_launches(state,
                [&](int r, cudaStream_t stream) {
                  if (fused) {
                    gemv_xwt_f16_silu_mul_rows(inputs.x[r], inputs.w[r], y, n, in, ffn, rows, stream);
                  } else {
                    gemv_xwt_f16(inputs.x[r], inputs.w[r], nullptr, gu, n, in, 2 * ffn, stream);
                    silu_mul_f16(gu, y, n, ffn, stream);
                  }
                },
                inputs.rotations, c, check);
}

std::string shape_name(const char* kernel, int64_t n, LinearShape s) {
  return std::string(kernel) + "/n:" + std::to_string(n) + "/in:" + std::to_string(s.in) + "/out:" + std::to_string(s.out);
}

}  // namespace

void register_linear_benchmarks() {
  for (const int64_t n : kPrefillTokens)
    for (const LinearShape s : kPrefillShapes) {
      add_case(shape_name("gemm_xwt_f16_cublaslt", n, s),
                                             [n, s](benchmark::State& st) { bench_gemm(st, n, s); });
      if (s.out == 4096)  // wo and w_down: the projections whose output is added to the residual stream
        add_case(shape_name("gemm_xwt_add_residual_f16_cublaslt", n, s),
                                               [n, s](benchmark::State& st) { bench_gemm_add_residual(st, n, s); });
    }
  for (const LinearShape s : kDecodeShapes)
    for (const int64_t n : kDecodeTokens) {
      add_case(shape_name("gemm_xwt_f16_cublaslt", n, s),
                                             [n, s](benchmark::State& st) { bench_gemm(st, n, s); });
      for (const int rows : {1, 2, 4})
        add_case((shape_name("gemv_xwt_f16", n, s) + "/rows:" + std::to_string(rows)),
                                               [n, s, rows](benchmark::State& st) { bench_gemv(st, n, s, rows); });
    }
  constexpr LinearShape kGateUp{4096, 11008};  // Llama-2-7B: hidden -> ffn (the weight has 2 * ffn rows)
  for (const int64_t n : {1, 2, 4}) {
    add_case(shape_name("gemv_xwt_f16+silu_mul_f16", n, kGateUp),
             [n, kGateUp](benchmark::State& st) { bench_gate_up_silu(st, n, kGateUp.in, kGateUp.out, false, 0); });
    for (const int rows : {1, 2, 4})
      add_case(shape_name("gemv_xwt_f16_silu_mul", n, kGateUp) + "/rows:" + std::to_string(rows),
               [n, kGateUp, rows](benchmark::State& st) { bench_gate_up_silu(st, n, kGateUp.in, kGateUp.out, true, rows); });
  }
}

}  // namespace rooflm::kbench
