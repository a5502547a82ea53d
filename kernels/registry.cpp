// select_kernel(): the single place that maps (op, shape, kernel set) to a kernel.
#include "kernels/registry.h"

#include "kernels/gemv/gemv_f16.h"

namespace rooflm {
namespace {

KernelChoice select_linear(const OpDesc& op) {
  KernelChoice c;
  if (op.n <= kGemvCrossoverTokens && gemv_xwt_f16_supported(op.n, op.in, op.out)) {
    c.name = "gemv_xwt_f16";
    c.supported = true;
    return c;
  }
  c.name = "gemm_cublaslt_xwt_f16";
  c.supported = op.n > 0 && op.in > 0 && op.out > 0;
  if (!c.supported) c.why_not = "empty linear layer";
  return c;
}

KernelChoice select_attention(const OpDesc& op, KernelSet set) {
  const attn::AttnBatch& b = *op.batch;
  const attn::KvDeviceView& kv = *op.kv;
  attn::AttnKernel k = attn::AttnKernel::naive;
  if (set == KernelSet::fused) k = b.max_q_len > 1 ? attn::AttnKernel::prefill_flash : attn::AttnKernel::decode_splitk;
  KernelChoice c;
  c.name = attn::attn_kernel_name(k);
  c.supported = attn::attn_supported(k, b, op.n_heads, kv);
  if (!c.supported)
    c.why_not = c.name + " does not support head_dim " + std::to_string(kv.head_dim) + " with " +
                std::to_string(op.n_heads) + " heads / " + std::to_string(kv.n_kv_heads) + " kv heads";
  else
    c.scratch_bytes = attn::attn_scratch_bytes(k, b, op.n_heads, kv);
  return c;
}

}  // namespace

KernelChoice select_kernel(const OpDesc& op, KernelSet set) {
  return op.op == OpKind::linear ? select_linear(op) : select_attention(op, set);
}

}  // namespace rooflm
