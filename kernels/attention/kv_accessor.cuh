// Device-side KV-cache accessors. Every attention kernel body is templated on one of them, so the
// same code reads a contiguous or a paged cache and a benchmark isolates the block-table lookup.
//   Kv acc = Kv::bind(view, seq_row, layer);   acc.token(pos) = element offset of (pos, kv head 0, dim 0)
// in view.k / view.v. Storage: [n_layers, num_blocks, block_size, n_kv_heads, head_dim].
// token(pos) == token(lookup(pos), pos): lookup() is the only memory read (the block-table entry), so
// a kernel can issue the lookups of a future tile early and keep their latency off its critical path.
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
  __device__ int32_t lookup(int32_t) const { return 0; }
  __device__ int64_t token(int32_t, int32_t pos) const { return seq_base + int64_t(pos) * row_stride; }
  __device__ int64_t token(int32_t pos) const { return token(0, pos); }
};

// Fixed-size blocks from a pool: block = table_row[pos >> log2(block_size)]. Block sizes are powers
// of two (the launchers check it: kv_view_supported), so the lookup is a shift, a mask and one load.
struct PagedKv {
  const int32_t* table_row;  // [max_blocks_per_seq]
  int64_t layer_base;        // element offset of (layer, block 0)
  int32_t block_shift;       // log2(block_size)
  int32_t row_stride;

  __device__ static PagedKv bind(const KvDeviceView& kv, int32_t seq_row, int32_t layer) {
    const int32_t row_stride = kv.n_kv_heads * kv.head_dim;
    return {kv.block_tables + int64_t(seq_row) * kv.max_blocks_per_seq,
            int64_t(layer) * kv.num_blocks * kv.block_size * row_stride, __ffs(kv.block_size) - 1, row_stride};
  }
  // A volatile load: the compiler keeps it where the kernel issues it (a tile ahead of its use)
  // instead of sinking it next to the use to save a register.
  __device__ int32_t lookup(int32_t pos) const {
    const int32_t* entry = table_row + (pos >> block_shift);
    int32_t block;
    asm volatile("ld.global.nc.b32 %0, [%1];\n" : "=r"(block) : "l"(entry));
    return block;
  }
  __device__ int64_t token(int32_t block, int32_t pos) const {
    const int32_t in_block = pos & ((1 << block_shift) - 1);
    return layer_base + int64_t((block << block_shift) + in_block) * row_stride;
  }
  __device__ int64_t token(int32_t pos) const { return token(lookup(pos), pos); }
};

}  // namespace rooflm::attn
