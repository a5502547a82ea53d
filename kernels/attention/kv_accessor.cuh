// Device-side KV-cache accessors. Every attention kernel body is templated on one of them, so the
// same code reads a contiguous or a paged cache and a benchmark isolates the block-table lookup.
//   Kv acc = Kv::bind(view, seq_row, layer);   acc.token(pos) = element offset of (pos, kv head 0, dim 0)
// in view.k / view.v. Storage: [n_layers, num_blocks, block_size, n_kv_heads, head_dim].
#pragma once

#include <cstdint>

#include "kernels/attention/attention.h"

namespace rooflm::attn {

// One slot of max_seq_len tokens per sequence: table row = {slot}.
//   offset = ((layer * num_slots + slot) * max_seq_len + pos) * n_kv_heads * head_dim
struct ContiguousKv {
  int64_t seq_base;    // element offset of (layer, slot, pos 0)
  int32_t row_stride;  // n_kv_heads * head_dim

  __device__ static ContiguousKv bind(const KvDeviceView& kv, int32_t seq_row, int32_t layer) {
    const int32_t slot = kv.block_tables[int64_t(seq_row) * kv.max_blocks_per_seq];
    const int32_t row_stride = kv.n_kv_heads * kv.head_dim;
    return {(int64_t(layer) * kv.num_blocks + slot) * kv.block_size * row_stride, row_stride};
  }
  __device__ int64_t token(int32_t pos) const { return seq_base + int64_t(pos) * row_stride; }
};

// Fixed-size blocks from a pool: block = table_row[pos / block_size].
struct PagedKv {
  const int32_t* table_row;  // [max_blocks_per_seq]
  int64_t layer_base;        // element offset of (layer, block 0)
  int32_t block_size;
  int32_t row_stride;

  __device__ static PagedKv bind(const KvDeviceView& kv, int32_t seq_row, int32_t layer) {
    const int32_t row_stride = kv.n_kv_heads * kv.head_dim;
    return {kv.block_tables + int64_t(seq_row) * kv.max_blocks_per_seq,
            int64_t(layer) * kv.num_blocks * kv.block_size * row_stride, kv.block_size, row_stride};
  }
  __device__ int64_t token(int32_t pos) const {
    const int32_t block = __ldg(table_row + pos / block_size);
    return layer_base + (int64_t(block) * block_size + pos % block_size) * row_stride;
  }
};

}  // namespace rooflm::attn
