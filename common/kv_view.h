// KvView: the plain-old-data description of KV-cache storage that a backend's attention reads
// and writes through. Both layouts are described as blocks:
//   contiguous: one block of max_seq_len tokens per sequence slot (block table of length 1);
//   paged:      fixed-size blocks from a pool, one block-table row per sequence.
// Element (layer l, block b, slot-in-block o, kv head h, dim d) of K (and of V) lives at
//   k[(((l * num_blocks + b) * block_size + o) * n_kv_heads + h) * head_dim + d]
// i.e. storage is [n_layers, num_blocks, block_size, n_kv_heads, head_dim].
// A quantised cache (dtype int8 or fp8 e4m3) stores codes in that layout, one byte each, and one fp32
// scale per (layer, block, slot, kv head): k_scale / v_scale are [n_layers, num_blocks, block_size,
// n_kv_heads], so the scale of a row sits at its element offset / head_dim. Value = code * scale;
// the scale is max|row| / 127 (int8) or / 448 (fp8) over the head_dim values of one token's head
// (reference/quant.h's per-token rule, applied per head).
#pragma once

#include <cstdint>

#include "common/dtype.h"

namespace rooflm {

// A sequence's id in the KV cache (a request's id).
using SeqId = int64_t;

enum class KvLayout { contiguous, paged };

struct KvGeometry {
  int64_t n_layers = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t block_size = 0;  // tokens per block (contiguous: max_seq_len)
  int64_t num_blocks = 0;  // blocks in the pool (contiguous: number of slots)
  DType dtype = DType::f32;

  // int8 / fp8 codes with per-(token, head) fp32 scales.
  bool quantized() const { return kv_dtype_quantized(dtype); }
  int64_t elems_per_block() const { return block_size * n_kv_heads * head_dim; }
  // Scales of one block of K (or of V): one per slot and kv head (0 unless quantized).
  int64_t scales_per_block() const { return quantized() ? block_size * n_kv_heads : 0; }
  // Bytes of K plus V one token of one layer occupies: codes (or values) and scales.
  int64_t bytes_per_token_layer() const {
    return 2 * n_kv_heads * (head_dim * int64_t(dtype_size(dtype)) + (quantized() ? int64_t(sizeof(float)) : 0));
  }
  // Bytes of K plus V for the whole pool, scales included.
  int64_t total_bytes() const { return n_layers * num_blocks * block_size * bytes_per_token_layer(); }
  // Bytes of K plus V one token occupies across all layers, scales included.
  int64_t bytes_per_token() const { return n_layers * bytes_per_token_layer(); }
};

struct KvStorage {
  void* k = nullptr;  // [n_layers, num_blocks, block_size, n_kv_heads, head_dim]
  void* v = nullptr;  // same
  float* k_scale = nullptr;  // quantized only: [n_layers, num_blocks, block_size, n_kv_heads]
  float* v_scale = nullptr;  // same
};

// Passed by value to backends/kernels. block_tables has one row per sequence of the BatchPlan,
// in plan order: row i = block_tables[i * max_blocks_per_seq ...]; -1 marks unused entries.
struct KvView {
  KvLayout layout = KvLayout::contiguous;
  KvGeometry geom;
  KvStorage storage;
  const int32_t* block_tables = nullptr;  // [n_seqs, max_blocks_per_seq] host memory
  int32_t max_blocks_per_seq = 0;
  int32_t n_seqs = 0;

  // Offset (in elements) of token `pos` of plan row `row`, layer `layer`, head 0, dim 0.
  int64_t offset(int32_t row, int64_t layer, int64_t pos) const {
    const int64_t b = block_tables[int64_t(row) * max_blocks_per_seq + pos / geom.block_size];
    return ((layer * geom.num_blocks + b) * geom.block_size + pos % geom.block_size) *
           geom.n_kv_heads * geom.head_dim;
  }
  // Offset (in scales) of the same token's kv head 0 in k_scale / v_scale.
  int64_t scale_offset(int32_t row, int64_t layer, int64_t pos) const {
    return offset(row, layer, pos) / geom.head_dim;
  }
};

}  // namespace rooflm
