// Kernel registry: ONE function answers "which kernel runs this op for this kernel set", "is it
// supported" and "how much scratch does it need". Backends launch what it names; every result
// row records the chosen names.
//   linear:    gemv_xwt_f16 (decode-sized n <= gemv crossover) | gemm_cublaslt_xwt_f16
//   attention: fused: attn_prefill_flash_f16 (any q_len > 1 in the batch) | attn_decode_splitk_f16
//              naive: attn_naive_f16
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/kv_view.h"
#include "engine/roofline/precision.h"
#include "kernels/attention/attention.h"

namespace rooflm {

enum class OpKind { linear, attention };

struct OpDesc {
  OpKind op = OpKind::linear;
  // linear: y[n, out] = x[n, in] W^T
  int64_t n = 0, in = 0, out = 0;
  // attention
  const attn::AttnBatch* batch = nullptr;
  int32_t n_heads = 0;
  const attn::KvDeviceView* kv = nullptr;
};

struct KernelChoice {
  std::string name;          // e.g. "gemv_xwt_f16"
  bool supported = false;
  std::string why_not;       // when unsupported: "unsupported head_dim: 96"
  size_t scratch_bytes = 0;
};

// Decode-sized linear layers up to this many tokens stream weights through the custom GEMV; larger
// ones go to cuBLASLt (crossover measured with kbench on an H100; see results/h100/kernels/).
inline constexpr int64_t kGemvCrossoverTokens = 4;

KernelChoice select_kernel(const OpDesc& op, KernelSet set);

}  // namespace rooflm
