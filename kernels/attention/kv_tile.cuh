// K/V tile loading shared by the flash prefill and split-K decode kernels: a tile of kTileRows
// consecutive keys of one kv head is copied (cp.async, 16-byte units) into swizzled shared memory
// by kThreads threads, through any KV accessor; the block-table lookups of a tile are issued a tile
// ahead. Only keys in [key_begin, key_end) are read: rows outside are zero-filled, and their
// addresses (and lookups) are clamped into the range, so a block left of a sliding window or past
// the end is never touched.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/attention/ptx.cuh"

namespace rooflm::attn {

// Byte offset of 16-byte unit `unit` (0 .. head_dim/8) of row r in a swizzled tile of kRows rows.
template <int kRows>
__device__ __forceinline__ uint32_t tile_offset(int r, int unit) {
  return uint32_t((unit / 8) * kRows * 128) + ptx::swizzle_128b(r, unit % 8);
}

// Thread tid loads 16-byte unit tid % kUnits of the tile rows tid / kUnits + i * kRowStep.
template <int kHeadDim, int kThreads, int kTileRows>
struct KvTile {
  static constexpr int kUnits = kHeadDim / 8;
  static constexpr int kRowStep = kThreads / kUnits;
  static constexpr int kPerThread = kTileRows / kRowStep;

  // The key whose block and address stand in for `key` (the same clamp in lookup and load).
  __device__ __forceinline__ static int clamp_key(int key, int key_begin, int key_end) {
    return min(max(key, key_begin), key_end - 1);
  }

  // Block-table lookups of this thread's rows of the tile starting at key0.
  template <class Kv>
  __device__ __forceinline__ static void lookup(int32_t (&blocks)[kPerThread], const Kv& kv, int key0, int key_begin,
                                                int key_end, int tid) {
#pragma unroll
    for (int i = 0; i < kPerThread; ++i) {
      const int key = key0 + tid / kUnits + i * kRowStep;
      blocks[i] = kv.lookup(clamp_key(key, key_begin, key_end));  // always a real table entry, no branch
    }
  }

  // Loads keys [key0, key0 + kTileRows) of one kv head (element offset kv_head_off) into K and V
  // tiles; keys outside [key_begin, key_end) become zeros.
  template <class Kv>
  __device__ __forceinline__ static void load(uint32_t k_tile, uint32_t v_tile, const __half* k, const __half* v,
                                              const Kv& kv, const int32_t (&blocks)[kPerThread], int key0,
                                              int key_begin, int key_end, int kv_head_off, int tid) {
    const int unit = tid % kUnits;
#pragma unroll
    for (int i = 0; i < kPerThread; ++i) {
      const int r = tid / kUnits + i * kRowStep;
      const int key = key0 + r;
      const bool valid = key >= key_begin && key < key_end;
      // Outside: the address of a key inside (never read: cp.async copies zeros), no branch.
      const int64_t src = kv.token(blocks[i], clamp_key(key, key_begin, key_end)) + kv_head_off + unit * 8;
      const uint32_t dst = tile_offset<kTileRows>(r, unit);
      ptx::cp_async_16(k_tile + dst, k + src, valid);
      ptx::cp_async_16(v_tile + dst, v + src, valid);
    }
  }
};

}  // namespace rooflm::attn
