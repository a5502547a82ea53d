// select_kernel(): the single place that maps (op, shapes, dtypes) to a kernel and its launcher.
#include "kernels/registry.h"

#include "common/error.h"
#include "kernels/activation/activation_f16.h"
#include "kernels/common/gather_rows.h"
#include "kernels/embedding/embedding_gather_f16.h"
#include "kernels/gemm/gemm_cublaslt.h"
#include "kernels/gemv/gemv_f16.h"
#include "kernels/norm/rmsnorm_f16.h"
#include "kernels/rope/rope_f16.h"
#include "kernels/sampling/argmax_f16.h"
#include "kernels/sampling/sample_f16.h"

namespace rooflm {
namespace {

const __half* h(const void* p) { return static_cast<const __half*>(p); }
__half* h(void* p) { return static_cast<__half*>(p); }

KernelChoice supported(const char* name, KernelLauncher launch, size_t scratch = 0) {
  return {name, true, {}, scratch, launch};
}

KernelChoice unsupported(const char* name, std::string why) { return {name, false, std::move(why), 0, nullptr}; }

// Every kernel here stores fp16 weights, activations and KV; the rest has no kernel yet.
std::string dtype_problem(const KernelQuery& q) {
  const auto problem = [&](const char* what, DType t) {
    return std::string(kernel_op_name(q.op)) + ": no kernel for " + what + " " + std::string(dtype_name(t)) +
           " yet (the cuda kernels store fp16)";
  };
  if (q.weight != DType::f16) return problem("weights", q.weight);
  if (q.activation != DType::f16) return problem("activations", q.activation);
  return problem("a KV cache of", q.kv);
}

KernelChoice select_linear(const KernelQuery& q) {
  if (q.n <= kGemvCrossoverTokens && gemv_xwt_f16_supported(q.n, q.in, q.out))
    return supported("gemv_xwt_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      gemv_xwt_f16(h(a.x), a.w, a.bias, h(a.y), q.n, q.in, q.out, s);
    });
  if (q.n <= 0 || q.in <= 0 || q.out <= 0) return unsupported("gemm_cublaslt_xwt_f16", "empty linear layer");
  return supported("gemm_cublaslt_xwt_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
    a.gemm->xwt_f16(h(a.x), a.w, a.bias, h(a.y), q.n, q.in, q.out, s);
  });
}

KernelChoice select_attention(const KernelQuery& q) {
  const attn::AttnBatch& b = *q.batch;
  const attn::KvDeviceView& kv = *q.kv_view;
  const attn::AttnKernel k = q.scores_in_hbm      ? attn::AttnKernel::naive
                             : b.max_q_len > 1    ? attn::AttnKernel::prefill_flash
                                                  : attn::AttnKernel::decode_splitk;
  const char* name = attn::attn_kernel_name(k);
  if (!attn::attn_supported(k, b, q.n_heads, kv))
    return unsupported(name, std::string(name) + " does not support head_dim " + std::to_string(kv.head_dim) +
                                 " with " + std::to_string(q.n_heads) + " heads / " + std::to_string(kv.n_kv_heads) +
                                 " kv heads (block size " + std::to_string(kv.block_size) + ")");
  KernelLauncher launch = nullptr;
  switch (k) {
    case attn::AttnKernel::naive:
      launch = [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        attn::attn_naive_f16(h(a.x), h(a.y), *q.batch, q.n_heads, a.layer, *q.kv_view, a.scratch, a.cublas, s);
      };
      break;
    case attn::AttnKernel::prefill_flash:
      launch = [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        attn::attn_prefill_flash_f16(h(a.x), h(a.y), *q.batch, q.n_heads, a.layer, *q.kv_view, a.scratch, s);
      };
      break;
    case attn::AttnKernel::decode_splitk:
      launch = [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        attn::attn_decode_splitk_f16(h(a.x), h(a.y), *q.batch, q.n_heads, a.layer, *q.kv_view, a.scratch, s);
      };
      break;
  }
  return supported(name, launch, attn::attn_scratch_bytes(k, b, q.n_heads, kv));
}

KernelChoice select_sample(const KernelQuery& q) {
  if (q.greedy)
    return supported("argmax_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      argmax_f16(h(a.x), static_cast<int32_t*>(a.y), q.n, q.vocab, s);
    });
  if (!sample_f16_supported(q.n, q.vocab))
    return unsupported("sample_f16", "sample_f16: " + std::to_string(q.n) + " rows of a vocabulary of " +
                                         std::to_string(q.vocab) + " exceed its sort key");
  return supported(
      "sample_f16",
      [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        sample_f16(h(a.x), a.rows, static_cast<int32_t*>(a.y), q.n, q.vocab, a.scratch, a.scratch_bytes, s);
      },
      sample_f16_scratch_bytes(q.n, q.vocab));
}

// Norms and elementwise kernels: 16-byte vectors over rows of `in` elements.
KernelChoice select_vector_op(const KernelQuery& q) {
  const bool rows_ok = rmsnorm_f16_supported(q.in);
  const auto why = [&] {  // built only when a shape is refused
    return std::string(kernel_op_name(q.op)) + ": rows of " + std::to_string(q.in) +
           " elements are not a positive multiple of 8 (16-byte vectors)";
  };
  switch (q.op) {
    case KernelOp::embedding:
      if (!embedding_gather_f16_supported(q.in)) return unsupported("embedding_gather_f16", why());
      return supported("embedding_gather_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        embedding_gather_f16(a.w, a.index, static_cast<float*>(a.y), q.n, q.vocab, q.in, s);
      });
    case KernelOp::rmsnorm:
      if (!rows_ok) return unsupported("rmsnorm_f16", why());
      return supported("rmsnorm_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        rmsnorm_f16(static_cast<const float*>(a.x), a.w, h(a.y), q.n, q.in, a.eps, s);
      });
    case KernelOp::add_rmsnorm:
      if (!rows_ok) return unsupported("add_rmsnorm_f16", why());
      return supported("add_rmsnorm_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        add_rmsnorm_f16(static_cast<float*>(a.y2), h(a.x), a.w, h(a.y), q.n, q.in, a.eps, s);
      });
    case KernelOp::residual_add:
      if (!rows_ok) return unsupported("residual_add_f16", why());
      return supported("residual_add_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        residual_add_f16(static_cast<float*>(a.y), h(a.x), q.n, q.in, s);
      });
    case KernelOp::silu:
      if (!activation_f16_supported(q.n * q.in)) return unsupported("silu_f16", why());
      return supported("silu_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        silu_f16(h(a.x), h(a.y), q.n * q.in, s);
      });
    case KernelOp::mul:
      if (!activation_f16_supported(q.n * q.in)) return unsupported("mul_f16", why());
      return supported("mul_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        mul_f16(h(a.x), h(a.x2), h(a.y), q.n * q.in, s);
      });
    case KernelOp::silu_mul:
      if (!activation_f16_supported(q.in)) return unsupported("silu_mul_f16", why());
      return supported("silu_mul_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        silu_mul_f16(h(a.x), h(a.y), q.n, q.in, s);
      });
    case KernelOp::gather_rows:
      if (!rows_ok) return unsupported("gather_rows_f16", why());
      return supported("gather_rows_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        gather_rows_f16(h(a.x), a.index, h(a.y), q.n, q.in, s);
      });
    default:
      break;
  }
  return unsupported("?", "not a vector op");
}

KernelChoice select_rope(const KernelQuery& q) {
  const bool ok = rope_f16_supported(q.head_dim) && attn::kv_write_supported(q.head_dim);
  const auto why = [&] {
    return std::string(kernel_op_name(q.op)) + ": head_dim " + std::to_string(q.head_dim) +
           " must be a multiple of 16 and at most 512";
  };
  switch (q.op) {
    case KernelOp::rope:
      if (!ok) return unsupported("rope_f16", why());
      return supported("rope_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        rope_f16(h(a.y), h(a.y2), a.index, q.n, q.n_heads, q.n_kv_heads, q.head_dim, a.inv_freq, s);
      });
    case KernelOp::kv_write:
      if (!ok) return unsupported("kv_write_f16", why());
      return supported("kv_write_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        attn::kv_write_f16(h(a.x), h(a.x2), *a.writes, a.layer, *q.kv_view, s);
      });
    case KernelOp::rope_qkv_kv_write:
      if (!ok) return unsupported("rope_qkv_kv_write_f16", why());
      return supported("rope_qkv_kv_write_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        attn::rope_qkv_kv_write_f16(h(a.x), h(a.y), q.n_heads, a.inv_freq, *a.writes, a.layer, *q.kv_view, s);
      });
    default:
      break;
  }
  return unsupported("?", "not a rope op");
}

}  // namespace

std::string_view kernel_op_name(KernelOp op) {
  switch (op) {
    case KernelOp::embedding: return "embedding";
    case KernelOp::rmsnorm: return "rmsnorm";
    case KernelOp::add_rmsnorm: return "add_rmsnorm";
    case KernelOp::residual_add: return "residual_add";
    case KernelOp::linear: return "linear";
    case KernelOp::rope: return "rope";
    case KernelOp::kv_write: return "kv_write";
    case KernelOp::rope_qkv_kv_write: return "rope_qkv_kv_write";
    case KernelOp::attention: return "attention";
    case KernelOp::silu: return "silu";
    case KernelOp::mul: return "mul";
    case KernelOp::silu_mul: return "silu_mul";
    case KernelOp::gather_rows: return "gather_rows";
    case KernelOp::sample: return "sample";
    case KernelOp::quantize: return "quantize";
  }
  return "?";
}

KernelChoice select_kernel(const KernelQuery& q) {
  if (q.weight != DType::f16 || q.activation != DType::f16 || q.kv != DType::f16)
    return unsupported("?", dtype_problem(q));
  switch (q.op) {
    case KernelOp::linear: return select_linear(q);
    case KernelOp::attention: return select_attention(q);
    case KernelOp::sample: return select_sample(q);
    case KernelOp::rope:
    case KernelOp::kv_write:
    case KernelOp::rope_qkv_kv_write: return select_rope(q);
    case KernelOp::quantize: return unsupported("?", "quantize: no activation quantisation kernel yet (fp16 only)");
    case KernelOp::embedding:
    case KernelOp::rmsnorm:
    case KernelOp::add_rmsnorm:
    case KernelOp::residual_add:
    case KernelOp::silu:
    case KernelOp::mul:
    case KernelOp::silu_mul:
    case KernelOp::gather_rows: return select_vector_op(q);
  }
  return unsupported("?", "unknown op");
}

void KernelRegistry::launch(const KernelChoice& choice, const KernelQuery& query, const KernelArgs& args,
                            cudaStream_t stream) {
  if (!choice.supported) throw InputError(choice.why_not);
  const std::string_view name = choice.name;
  if (used_.find(name) == used_.end()) used_.emplace(name);  // allocation-free once known (hot path)
  choice.launch(query, args, stream);
}

}  // namespace rooflm
