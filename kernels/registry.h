// Kernel registry: ONE function, select(), answers for every op kind "which kernel runs this shape
// with these dtypes", "is it supported, and if not why", "how much scratch does it need" and "how
// to launch it" (the choice carries its launcher). KernelRegistry::launch() runs a choice and
// records its name, so every result row lists the kernels that actually ran.
//
//   op                 kernels (fp16 storage, fp32 accumulation; fp32 residual stream)
//   embedding          embedding_gather_f16
//   rmsnorm            rmsnorm_f16
//   add_rmsnorm        add_rmsnorm_f16
//   residual_add       residual_add_f16
//   linear             fp16:  gemv_xwt_f16 (n <= kGemvCrossoverTokens) | gemm_cublaslt_xwt_f16; optional bias
//                      fp16 with the silu_mul epilogue: gemv_xwt_f16_silu_mul (n <= kGemvCrossoverTokens;
//                             a larger step is the plain linear into [gate | up], then silu_mul)
//                      W8A16: gemv_w8a16 (n <= kGemvW8A16MaxTokens) | mma_w8a16 (n <= kMmaW8A16MaxTokens)
//                             | dequant_gemm_cublaslt_w8a16
//                      W8A8:  gemv_w8a8_int8 | mma_w8a8_int8 | gemm_cublaslt_s8s8_dequant (kGemvW8A8, kMmaW8A8)
//                      FP8:   gemv_fp8 | mma_fp8 | gemm_cublaslt_e4m3 (kGemvFp8MaxTokens, kMmaFp8MaxTokens)
//   rope               rope_f16 (q and k in place)
//   kv_write           kv_write_f16
//   rope_qkv_kv_write  rope_qkv_kv_write_f16 (fused QKV rows -> rotated q, K/V into the cache)
//   attention          attn_naive_f16 (scores in HBM) | attn_prefill_flash_f16 (any query > 1 token)
//                      | attn_decode_splitk_f16
//   silu, mul, silu_mul  silu_f16, mul_f16, silu_mul_f16
//   gather_rows        gather_rows_f16 (the LM head's sampling rows)
//   sample             argmax_f16 (greedy rows only) | sample_f16
//   quantize           quantize_rows_f16_to_{int8,fp8} (fp16 rows -> codes + per-row scales)
// A norm, silu_mul or mul whose output feeds a W8A8 / FP8 GEMM writes it quantised
// (rmsnorm_quant_*, add_rmsnorm_quant_*, silu_mul_quant_*, mul_f16 + quantize_rows_*). An int8 / fp8
// KV cache is written by kv_write_quant / rope_qkv_kv_write_quant and read by the same attention
// kernels (their KV element type is a template parameter).
#pragma once

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"
#include "kernels/attention/attention.h"
#include "kernels/quant/quant_rows.h"
#include "kernels/quant/quant_weight.h"
#include "kernels/sampling/sampling_row.h"

namespace rooflm {

class GemmCublasLt;

enum class KernelOp {
  embedding, rmsnorm, add_rmsnorm, residual_add, linear, rope, kv_write, rope_qkv_kv_write, attention,
  silu, mul, silu_mul, gather_rows, sample, quantize,
};
std::string_view kernel_op_name(KernelOp op);

// What select() keys on: the op, its shapes and its dtypes.
struct KernelQuery {
  KernelOp op = KernelOp::linear;
  // weight: a linear's weight storage; activation: a linear's (GEMM) input; output: what a norm,
  // activation or quantize op writes (int8 / fp8: quantised rows for the next GEMM)
  DType weight = DType::f16, activation = DType::f16, output = DType::f16, kv = DType::f16;
  WeightGrain weight_grain = WeightGrain::channel;  // of a quantised weight
  int64_t group_size = 0;
  // linear: y[n, out] = x[n, in] W^T; norms / elementwise / gather: n rows of `in` elements
  int64_t n = 0, in = 0, out = 0;
  bool bias = false;
  // linear: the silu_mul epilogue (w has 2 * out rows, [gate; up]; y = silu(x Wg^T) * (x Wu^T))
  bool silu_mul_epilogue = false;
  // rope, attention: heads
  int32_t n_heads = 0, n_kv_heads = 0, head_dim = 0;
  // attention
  const attn::AttnBatch* batch = nullptr;
  const attn::KvDeviceView* kv_view = nullptr;
  bool scores_in_hbm = false;
  // sample
  bool greedy = true;
  int64_t vocab = 0;
};

// Everything a launcher may read; each kernel uses the fields its op needs (registry.cpp).
struct KernelArgs {
  const void* x = nullptr;   // input
  const void* x2 = nullptr;  // second input (the branch added into the residual, the up half, ...)
  void* y = nullptr;         // output
  void* y2 = nullptr;        // second output (the residual stream an add_rmsnorm updates, k of rope)
  const __half* w = nullptr;
  const __half* bias = nullptr;
  const QuantWeightDevice* wq = nullptr;  // linear: the node's rows of a quantised weight
  const float* x_scales = nullptr;        // linear: the scales of quantised input rows [n] (x: codes)
  QuantizedRows qout;                     // norm / activation / quantize: the quantised output rows
  void* acc = nullptr;                    // linear, W8A8 / FP8 GEMM: [n, out] int32 / fp32 scratch
  __half* dequant = nullptr;              // linear, W8A16 GEMM: fp16 room for the dequantised weight
  const int32_t* index = nullptr;  // token ids (embedding), positions (rope), row ids (gather_rows)
  const float* inv_freq = nullptr;  // [head_dim / 2] device
  float eps = 0;
  int32_t layer = 0;
  const attn::KvWriteTokens* writes = nullptr;
  const SamplingRow* rows = nullptr;  // [n] device
  void* scratch = nullptr;
  size_t scratch_bytes = 0;
  GemmCublasLt* gemm = nullptr;
  cublasHandle_t cublas = nullptr;
};

using KernelLauncher = void (*)(const KernelQuery&, const KernelArgs&, cudaStream_t);

struct KernelChoice {
  const char* name = "";     // e.g. "gemv_xwt_f16"
  bool supported = false;
  std::string why_not;       // when unsupported: "attn_prefill_flash_f16 does not support head_dim 96 ..."
  size_t scratch_bytes = 0;  // device scratch the launch needs in KernelArgs::scratch
  KernelLauncher launch = nullptr;
};

// Decode-sized linear layers up to this many tokens stream weights through the custom GEMV; larger
// ones go to cuBLASLt (crossover measured with kbench on an H100; see results/h100/kernels/).
inline constexpr int64_t kGemvCrossoverTokens = 4;
// Quantised linear layers: the GEMV (gemv_quant.h) up to the precision's kGemv*MaxTokens, the fused
// mma GEMM (gemm_quant_mma.h) up to its kMma*MaxTokens, cuBLASLt above: the crossovers measured with
// kbench on the H200 (results/h200/quant_mma_2026-12-02/).
inline constexpr int64_t kGemvW8A16MaxTokens = 1;
inline constexpr int64_t kGemvW8A8MaxTokens = 2;
inline constexpr int64_t kGemvFp8MaxTokens = 1;
inline constexpr int64_t kMmaW8A16MaxTokens = 64;
inline constexpr int64_t kMmaW8A8MaxTokens = 16;
inline constexpr int64_t kMmaFp8MaxTokens = 32;

// The kernel for `query`. Allocation-free when the query is supported (a hot path in eager steps).
KernelChoice select_kernel(const KernelQuery& query);

// Launches choices and remembers which kernels ran.
class KernelRegistry {
 public:
  // Throws InputError with choice.why_not when the choice is unsupported.
  void launch(const KernelChoice& choice, const KernelQuery& query, const KernelArgs& args, cudaStream_t stream);
  // Names of every kernel launched so far, sorted.
  std::vector<std::string> used() const { return {used_.begin(), used_.end()}; }

 private:
  std::set<std::string, std::less<>> used_;
};

}  // namespace rooflm
