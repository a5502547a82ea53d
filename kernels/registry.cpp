// select_kernel(): the single place that maps (op, shapes, dtypes) to a kernel and its launcher.
#include "kernels/registry.h"

#include "common/error.h"
#include "kernels/activation/activation_f16.h"
#include "kernels/common/gather_rows.h"
#include "kernels/embedding/embedding_gather_f16.h"
#include "kernels/gemm/dequant_epilogue.h"
#include "kernels/gemm/gemm_cublaslt.h"
#include "kernels/gemm/gemm_quant_mma.h"
#include "kernels/gemv/gemv_quant.h"
#include "kernels/gemv/gemv_f16.h"
#include "kernels/norm/rmsnorm_f16.h"
#include "kernels/quant/quant_rows.h"
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

bool quantised(DType t) { return t == DType::i8 || t == DType::f8e4m3; }
const uint8_t* u8(const void* p) { return static_cast<const uint8_t*>(p); }

KernelChoice select_linear_f16(const KernelQuery& q) {
  if (q.silu_mul_epilogue) {
    if (q.n <= kGemvCrossoverTokens && !q.bias && gemv_xwt_f16_supported(q.n, q.in, 2 * q.out))
      return supported("gemv_xwt_f16_silu_mul", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        gemv_xwt_f16_silu_mul(h(a.x), a.w, h(a.y), q.n, q.in, q.out, s);
      });
    return unsupported("gemv_xwt_f16_silu_mul", "linear: the silu_mul epilogue is the decode GEMV's (n <= " +
                                                    std::to_string(kGemvCrossoverTokens) +
                                                    " tokens, no bias, in a multiple of 8), not n = " + std::to_string(q.n));
  }
  if (q.n <= kGemvCrossoverTokens && gemv_xwt_f16_supported(q.n, q.in, q.out))
    return supported("gemv_xwt_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      gemv_xwt_f16(h(a.x), a.w, a.bias, h(a.y), q.n, q.in, q.out, s);
    });
  return supported("gemm_cublaslt_xwt_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
    a.gemm->xwt_f16(h(a.x), a.w, a.bias, h(a.y), q.n, q.in, q.out, s);
  });
}

// W8A16: int8 weights, fp16 inputs.
KernelChoice select_linear_w8a16(const KernelQuery& q) {
  if (q.n <= kGemvW8A16MaxTokens && gemv_quant_supported(q.n, q.in, q.out))
    return supported("gemv_w8a16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      gemv_w8a16(h(a.x), *a.wq, a.bias, h(a.y), q.n, s);
    });
  if (q.n <= kMmaW8A16MaxTokens && gemm_quant_mma_supported(q.n, q.in, q.out, q.weight_grain, q.group_size))
    return supported("mma_w8a16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      gemm_mma_w8a16(h(a.x), *a.wq, a.bias, h(a.y), q.n, s);
    });
  return supported("dequant_gemm_cublaslt_w8a16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
    dequantize_weight_f16(*a.wq, a.dequant, s);
    a.gemm->xwt_f16(h(a.x), a.dequant, a.bias, h(a.y), q.n, q.in, q.out, s);
  });
}

// W8A8 (int8 x int8) and FP8 (e4m3 x e4m3): quantised inputs with per-row scales.
KernelChoice select_linear_w8a8(const KernelQuery& q) {
  const bool fp8 = q.weight == DType::f8e4m3;
  if (q.n <= (fp8 ? kGemvFp8MaxTokens : kGemvW8A8MaxTokens) && gemv_quant_supported(q.n, q.in, q.out))
    return supported(fp8 ? "gemv_fp8" : "gemv_w8a8_int8", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      gemv_w8a8(u8(a.x), a.x_scales, *a.wq, a.bias, h(a.y), q.n, s);
    });
  if (q.n <= (fp8 ? kMmaFp8MaxTokens : kMmaW8A8MaxTokens) &&
      gemm_quant_mma_supported(q.n, q.in, q.out, q.weight_grain, q.group_size))
    return supported(fp8 ? "mma_fp8" : "mma_w8a8_int8", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      gemm_mma_w8a8(u8(a.x), a.x_scales, *a.wq, a.bias, h(a.y), q.n, s);
    });
  if (!fp8) {
    if (q.in % 4 != 0 || q.out % 4 != 0)
      return unsupported("gemm_cublaslt_s8s8_dequant", "linear: the int8 GEMM needs in and out multiples of 4, not " +
                                                           std::to_string(q.in) + " and " + std::to_string(q.out));
    return supported("gemm_cublaslt_s8s8_dequant", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
      auto* acc = static_cast<int32_t*>(a.acc);
      a.gemm->xwt_s8_s32(static_cast<const int8_t*>(a.x), reinterpret_cast<const int8_t*>(a.wq->codes), acc, q.n, q.in,
                         q.out, s);
      dequant_epilogue_s32(acc, a.x_scales, static_cast<const __half*>(a.wq->scales),
                           a.wq->grain == WeightGrain::channel, a.bias, h(a.y), q.n, q.out, s);
    });
  }
  // The dequantising epilogue inside cuBLASLt (outer-vector scales) when it has one for per-channel
  // scales, else fp32 out and the epilogue kernel.
  return supported("gemm_cublaslt_e4m3", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
    const auto* w_scales = static_cast<const float*>(a.wq->scales);
    if (a.wq->grain == WeightGrain::channel &&
        a.gemm->xwt_e4m3_scaled(u8(a.x), a.x_scales, a.wq->codes, w_scales, a.bias, h(a.y), q.n, q.in, q.out, s))
      return;
    auto* acc = static_cast<float*>(a.acc);
    a.gemm->xwt_e4m3_f32(u8(a.x), a.wq->codes, acc, q.n, q.in, q.out, s);
    dequant_epilogue_f32(acc, a.x_scales, w_scales, a.wq->grain == WeightGrain::channel, a.bias, h(a.y), q.n, q.out,
                         s);
  });
}

KernelChoice select_linear(const KernelQuery& q) {
  if (q.n <= 0 || q.in <= 0 || q.out <= 0) return unsupported("linear", "empty linear layer");
  if (q.weight == DType::f16 && q.activation == DType::f16) return select_linear_f16(q);
  if (q.silu_mul_epilogue) return unsupported("linear", "linear: the silu_mul epilogue is for fp16 weights and inputs");
  const std::string why = quant_weight_problem(q.weight, q.weight_grain, q.in, q.group_size);
  if (!why.empty()) return unsupported("linear", "linear: " + why);
  if (q.weight == DType::i8 && q.activation == DType::f16) return select_linear_w8a16(q);
  if (q.weight_grain == WeightGrain::group)
    return unsupported("linear", "linear: W8A8 and FP8 GEMMs take per-tensor or per-channel weight scales, not groups");
  if ((q.weight == DType::i8 && q.activation == DType::i8) || (q.weight == DType::f8e4m3 && q.activation == DType::f8e4m3))
    return select_linear_w8a8(q);
  return unsupported("linear", "linear: no kernel for " + std::string(dtype_name(q.weight)) + " weights with " +
                                   std::string(dtype_name(q.activation)) + " inputs");
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
  const bool fp8 = q.output == DType::f8e4m3;
  const bool quantises = q.op == KernelOp::rmsnorm || q.op == KernelOp::add_rmsnorm || q.op == KernelOp::mul ||
                         q.op == KernelOp::silu_mul || q.op == KernelOp::quantize;
  if (quantised(q.output) && !quantises)
    return unsupported("?", std::string(kernel_op_name(q.op)) + ": no kernel writes " + std::string(dtype_name(q.output)) +
                                " rows");
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
      if (quantised(q.output))
        return supported(fp8 ? "rmsnorm_quant_fp8" : "rmsnorm_quant_int8",
                         [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
                           rmsnorm_quant(static_cast<const float*>(a.x), a.w, a.qout, q.n, q.in, a.eps, s);
                         });
      return supported("rmsnorm_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        rmsnorm_f16(static_cast<const float*>(a.x), a.w, h(a.y), q.n, q.in, a.eps, s);
      });
    case KernelOp::add_rmsnorm:
      if (!rows_ok) return unsupported("add_rmsnorm_f16", why());
      if (quantised(q.output))
        return supported(fp8 ? "add_rmsnorm_quant_fp8" : "add_rmsnorm_quant_int8",
                         [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
                           add_rmsnorm_quant(static_cast<float*>(a.y2), h(a.x), a.w, a.qout, q.n, q.in, a.eps, s);
                         });
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
      if (quantised(q.output))  // the fp16 product in y, then quantised from there
        return supported(fp8 ? "mul_f16+quantize_rows_fp8" : "mul_f16+quantize_rows_int8",
                         [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
                           mul_f16(h(a.x), h(a.x2), h(a.y), q.n * q.in, s);
                           quantize_rows_f16(h(a.y), a.qout, q.n, q.in, s);
                         });
      return supported("mul_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        mul_f16(h(a.x), h(a.x2), h(a.y), q.n * q.in, s);
      });
    case KernelOp::silu_mul:
      if (!activation_f16_supported(q.in)) return unsupported("silu_mul_f16", why());
      if (quantised(q.output))
        return supported(fp8 ? "silu_mul_quant_fp8" : "silu_mul_quant_int8",
                         [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
                           silu_mul_quant(h(a.x), a.qout, q.n, q.in, s);
                         });
      return supported("silu_mul_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        silu_mul_f16(h(a.x), h(a.y), q.n, q.in, s);
      });
    case KernelOp::quantize:
      if (!rows_ok || !quantised(q.output)) return unsupported("quantize_rows_f16", why());
      return supported(fp8 ? "quantize_rows_f16_to_fp8" : "quantize_rows_f16_to_int8",
                       [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
                         quantize_rows_f16(h(a.x), a.qout, q.n, q.in, s);
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
  const auto why_quant = [&] {
    return std::string(kernel_op_name(q.op)) + ": a quantised (" + std::string(dtype_name(q.kv)) +
           ") KV cache needs head_dim 64 or 128, not " + std::to_string(q.head_dim);
  };
  switch (q.op) {
    case KernelOp::rope:
      if (!ok) return unsupported("rope_f16", why());
      return supported("rope_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        rope_f16(h(a.y), h(a.y2), a.index, q.n, q.n_heads, q.n_kv_heads, q.head_dim, a.inv_freq, s);
      });
    case KernelOp::kv_write:
      if (kv_dtype_quantized(q.kv)) {
        if (!attn::kv_write_quant_supported(q.head_dim)) return unsupported("kv_write_quant", why_quant());
        return supported("kv_write_quant", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
          attn::kv_write_quant(h(a.x), h(a.x2), *a.writes, a.layer, *q.kv_view, s);
        });
      }
      if (!ok) return unsupported("kv_write_f16", why());
      return supported("kv_write_f16", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
        attn::kv_write_f16(h(a.x), h(a.x2), *a.writes, a.layer, *q.kv_view, s);
      });
    case KernelOp::rope_qkv_kv_write:
      if (kv_dtype_quantized(q.kv)) {
        if (!attn::kv_write_quant_supported(q.head_dim)) return unsupported("rope_qkv_kv_write_quant", why_quant());
        return supported("rope_qkv_kv_write_quant", [](const KernelQuery& q, const KernelArgs& a, cudaStream_t s) {
          attn::rope_qkv_kv_write_quant(h(a.x), h(a.y), q.n_heads, a.inv_freq, *a.writes, a.layer, *q.kv_view, s);
        });
      }
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
  const bool kv_op = q.op == KernelOp::attention || q.op == KernelOp::kv_write || q.op == KernelOp::rope_qkv_kv_write;
  if (kv_op && q.kv != DType::f16 && !kv_dtype_quantized(q.kv))
    return unsupported("?", std::string(kernel_op_name(q.op)) + ": no kernel for a KV cache of " +
                                std::string(dtype_name(q.kv)) + " (the cuda kernels store fp16, int8 or fp8 KV)");
  if (q.output != DType::f16 && !quantised(q.output))
    return unsupported("?", std::string(kernel_op_name(q.op)) + ": no kernel writes " + std::string(dtype_name(q.output)));
  switch (q.op) {
    case KernelOp::linear: return select_linear(q);
    case KernelOp::attention: return select_attention(q);
    case KernelOp::sample: return select_sample(q);
    case KernelOp::rope:
    case KernelOp::kv_write:
    case KernelOp::rope_qkv_kv_write: return select_rope(q);
    case KernelOp::quantize:
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
