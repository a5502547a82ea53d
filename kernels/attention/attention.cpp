// Host glue of the attention kernels: KvView -> KvDeviceView, and selection by name
// (supported? how much scratch? launch) over the three attention entry points.
#include <string>

#include "common/error.h"
#include "kernels/attention/attention.h"

namespace rooflm::attn {

KvDeviceView make_kv_device_view(const KvView& view, const int32_t* device_block_tables) {
  if (view.geom.dtype != DType::f16 && !view.geom.quantized())
    throw InputError("attention: the CUDA attention kernels read an fp16, int8 or fp8 KV cache, not " +
                     std::string(dtype_name(view.geom.dtype)));
  if (view.geom.quantized() && (view.storage.k_scale == nullptr || view.storage.v_scale == nullptr))
    throw InputError("attention: a quantised KV cache needs its k_scale and v_scale storage");
  KvDeviceView d;
  d.layout = view.layout;
  d.dtype = view.geom.dtype;
  d.n_layers = int32_t(view.geom.n_layers);
  d.n_kv_heads = int32_t(view.geom.n_kv_heads);
  d.head_dim = int32_t(view.geom.head_dim);
  d.block_size = int32_t(view.geom.block_size);
  d.num_blocks = int32_t(view.geom.num_blocks);
  d.k = view.storage.k;
  d.v = view.storage.v;
  d.k_scale = view.storage.k_scale;
  d.v_scale = view.storage.v_scale;
  d.block_tables = device_block_tables;
  d.max_blocks_per_seq = view.max_blocks_per_seq;
  d.n_seqs = view.n_seqs;
  require_kv_view_supported(d, "make_kv_device_view");
  return d;
}

bool kv_view_supported(const KvDeviceView& kv) {
  return kv.layout == KvLayout::contiguous || (kv.block_size > 0 && (kv.block_size & (kv.block_size - 1)) == 0);
}

void require_kv_view_supported(const KvDeviceView& kv, const char* who) {
  if (!kv_view_supported(kv))
    throw InputError(std::string(who) + ": paged KV block_size must be a power of two, got " +
                     std::to_string(kv.block_size));
}

const char* attn_kernel_name(AttnKernel kernel) {
  switch (kernel) {
    case AttnKernel::prefill_flash: return "attn_prefill_flash_f16";
    case AttnKernel::decode_splitk: return "attn_decode_splitk_f16";
    case AttnKernel::naive: return "attn_naive_f16";
  }
  return "?";
}

AttnKernel attn_kernel_by_name(const std::string& name) {
  for (AttnKernel k : {AttnKernel::prefill_flash, AttnKernel::decode_splitk, AttnKernel::naive})
    if (name == attn_kernel_name(k)) return k;
  throw InputError("unknown attention kernel: '" + name +
                   "' (known: attn_prefill_flash_f16, attn_decode_splitk_f16, attn_naive_f16)");
}

bool attn_supported(AttnKernel kernel, const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv) {
  if (!kv_view_supported(kv)) return false;
  switch (kernel) {
    case AttnKernel::prefill_flash: return attn_prefill_flash_supported(kv.head_dim, n_heads, kv.n_kv_heads);
    case AttnKernel::decode_splitk:
      return attn_decode_splitk_supported(kv.head_dim, n_heads, kv.n_kv_heads, batch.max_q_len);
    case AttnKernel::naive: return attn_naive_supported(kv.head_dim, n_heads, kv.n_kv_heads);
  }
  return false;
}

size_t attn_scratch_bytes(AttnKernel kernel, const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv) {
  switch (kernel) {
    case AttnKernel::prefill_flash: return attn_prefill_flash_scratch_bytes(batch, n_heads, kv);
    case AttnKernel::decode_splitk: return attn_decode_splitk_scratch_bytes(batch, n_heads, kv);
    case AttnKernel::naive: return attn_naive_scratch_bytes(batch, n_heads, kv);
  }
  return 0;
}

void attn_launch(AttnKernel kernel, const __half* q, __half* out, const AttnBatch& batch, int32_t n_heads,
                 int32_t layer, const KvDeviceView& kv, void* scratch, cublasHandle_t cublas, cudaStream_t stream) {
  switch (kernel) {
    case AttnKernel::prefill_flash:
      attn_prefill_flash_f16(q, out, batch, n_heads, layer, kv, scratch, stream);
      return;
    case AttnKernel::decode_splitk:
      attn_decode_splitk_f16(q, out, batch, n_heads, layer, kv, scratch, stream);
      return;
    case AttnKernel::naive:
      attn_naive_f16(q, out, batch, n_heads, layer, kv, scratch, cublas, stream);
      return;
  }
}

}  // namespace rooflm::attn
