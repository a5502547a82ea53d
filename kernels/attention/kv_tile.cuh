// K/V tile loading shared by the flash prefill and split-K decode kernels: a tile of kTileRows
// consecutive keys of one kv head is copied (cp.async, 16-byte units) into swizzled shared memory
// by kThreads threads, through any KV accessor; the block-table lookups of a tile are issued a tile
// ahead. Only keys in [key_begin, key_end) are read: rows outside are zero-filled, and their
// addresses (and lookups) are clamped into the range, so a block left of a sliding window or past
// the end is never touched.
//
// A quantised cache (kv_quant.cuh) goes through KvCodeTile instead: the tile's one-byte codes and its
// rows' K and V scales are copied into a staging area (cp.async, 16-byte units of codes, 4-byte
// scales), and once they have landed widen() writes the codes as fp16 values (exact) into the same
// swizzled fp16 tiles (or k_word() hands a thread 4 codes of a row straight from staging), so the
// kernel's MMA code barely changes with the dtype; the kernel applies the scales it reads from
// staging to the scores (K) and the probabilities (V). Staged rows are swizzled too (their 16-byte
// chunks XOR-permuted by row), so 8 consecutive rows read at one byte offset hit 8 bank groups.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/attention/attention.h"
#include "kernels/attention/kv_quant.cuh"
#include "kernels/attention/ptx.cuh"

namespace rooflm::attn {

// Byte offset of 16-byte unit `unit` (0 .. head_dim/8) of row r in a swizzled tile of kRows rows.
template <int kRows>
__device__ __forceinline__ uint32_t tile_offset(int r, int unit) {
  return uint32_t((unit / 8) * kRows * 128) + ptx::swizzle_128b(r, unit % 8);
}

// The key whose block and address stand in for `key` (the same clamp in lookup and load).
__device__ __forceinline__ int clamp_key(int key, int key_begin, int key_end) {
  return min(max(key, key_begin), key_end - 1);
}

// Block-table lookups of rows key0 + tid / kUnits + i * kRowStep (clamped: always a real table
// entry, no branch): the row assignment of KvTile and KvCodeLoader.
template <int kUnits, int kRowStep, int kPerThread, class Kv>
__device__ __forceinline__ void lookup_rows(int32_t (&blocks)[kPerThread], const Kv& kv, int key0, int key_begin,
                                            int key_end, int tid) {
#pragma unroll
  for (int i = 0; i < kPerThread; ++i)
    blocks[i] = kv.lookup(clamp_key(key0 + tid / kUnits + i * kRowStep, key_begin, key_end));
}

// Thread tid loads 16-byte unit tid % kUnits of the tile rows tid / kUnits + i * kRowStep.
template <int kHeadDim, int kThreads, int kTileRows>
struct KvTile {
  static constexpr int kUnits = kHeadDim / 8;
  static constexpr int kRowStep = kThreads / kUnits;
  static constexpr int kPerThread = kTileRows / kRowStep;

  // Block-table lookups of this thread's rows of the tile starting at key0.
  template <class Kv>
  __device__ __forceinline__ static void lookup(int32_t (&blocks)[kPerThread], const Kv& kv, int key0, int key_begin,
                                                int key_end, int tid) {
    lookup_rows<kUnits, kRowStep, kPerThread>(blocks, kv, key0, key_begin, key_end, tid);
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

// Staging of one tile of kTileRows keys of a quantised cache: [K codes | V codes] (kHeadDim bytes a
// row, chunks swizzled: code_offset) then [K scales | V scales] (fp32, one a row).
template <int kHeadDim, int kTileRows, DType kDtype>
struct KvCodeStage {
  static constexpr int kCodeBytes = kTileRows * kHeadDim;  // one tensor's codes
  static constexpr int kScaleBytes = kTileRows * 4;        // one tensor's scales
  static constexpr int kStageBytes = 2 * kCodeBytes + 2 * kScaleBytes;

  // Byte `byte` of staged row `row` (K; V at + kCodeBytes): the row's 16-byte chunks are XORed with
  // row % 8 (128-byte rows) or (row / 2) % 4 (64-byte rows: two rows share a 128-byte line), so 8
  // consecutive rows read at one byte offset hit 8 different bank groups.
  __device__ __forceinline__ static uint32_t code_offset(int row, int byte) {
    const int swizzle = kHeadDim == 128 ? (row & 7) : ((row >> 1) & 3);
    return uint32_t(row * kHeadDim + (((byte >> 4) ^ swizzle) << 4) + (byte & 15));
  }
  __device__ __forceinline__ static uint32_t k_scales(uint32_t stage) { return stage + 2 * kCodeBytes; }
  __device__ __forceinline__ static uint32_t v_scales(uint32_t stage) { return stage + 2 * kCodeBytes + kScaleBytes; }
  // Codes [byte, byte + 4) of staged K row `row` (byte a multiple of 4).
  __device__ __forceinline__ static uint32_t k_word(uint32_t stage, int row, int byte) {
    return ptx::ld_shared_u32(stage + code_offset(row, byte));
  }
  // Rows [row0, row0 + rows) of the staged K (V) codes -> fp16 code values in the same rows of the
  // swizzled fp16 tile (kTileRows rows), by threads tid = 0 .. threads - 1.
  template <int kRows, int kThreads>
  __device__ __forceinline__ static void widen_k(uint32_t stage, uint32_t k_tile, int row0, int tid) {
    widen<kRows, kThreads>(stage, k_tile, row0, tid);
  }
  template <int kRows, int kThreads>
  __device__ __forceinline__ static void widen_v(uint32_t stage, uint32_t v_tile, int row0, int tid) {
    widen<kRows, kThreads>(stage + kCodeBytes, v_tile, row0, tid);
  }

 private:
  template <int kRows, int kThreads>
  __device__ __forceinline__ static void widen(uint32_t codes, uint32_t tile, int row0, int tid) {
    constexpr int kHalfUnits = kHeadDim / 8;  // 16-byte fp16 units of a row
#pragma unroll
    for (int u = tid; u < kRows * kHalfUnits; u += kThreads) {
      const int r = row0 + u / kHalfUnits, c = u % kHalfUnits;
      ptx::st_shared_v4(tile + tile_offset<kTileRows>(r, c), widen8_f16<kDtype>(ptx::ld_shared_u2(codes + code_offset(r, c * 8))));
    }
  }
};

// kThreads threads copy rows [row0, row0 + kRows) of a KvCodeStage: thread tid copies 16-byte code
// unit tid % kUnits of rows row0 + tid / kUnits + i * kRowStep, and the thread with unit 0 (1) of a
// row its K (V) scale, so a row's codes and scales come from one group of threads (a warp may load
// and read its own rows with no block barrier).
template <class Stage, int kHeadDim, int kThreads, int kRows>
struct KvCodeLoader {
  static constexpr int kUnits = kHeadDim / 16;
  static constexpr int kRowStep = kThreads / kUnits;
  static constexpr int kPerThread = kRows / kRowStep;
  static_assert(kUnits >= 2 && kThreads % kUnits == 0 && kRows % kRowStep == 0, "tile shape");

  // Block-table lookups of this thread's rows; key0 is the key of row row0.
  template <class Kv>
  __device__ __forceinline__ static void lookup(int32_t (&blocks)[kPerThread], const Kv& kv, int key0, int key_begin,
                                                int key_end, int tid) {
    lookup_rows<kUnits, kRowStep, kPerThread>(blocks, kv, key0, key_begin, key_end, tid);
  }

  // Keys [key0, key0 + kRows) of kv head `kv_head` into rows [row0, row0 + kRows) of `stage`; keys
  // outside [key_begin, key_end) become zero codes with zero scales.
  template <class Kv>
  __device__ __forceinline__ static void load(uint32_t stage, const KvDeviceView& view, const Kv& kv,
                                              const int32_t (&blocks)[kPerThread], int key0, int row0, int key_begin,
                                              int key_end, int kv_head, int tid) {
    const int unit = tid % kUnits;
    const auto* k = static_cast<const uint8_t*>(view.k);
    const auto* v = static_cast<const uint8_t*>(view.v);
#pragma unroll
    for (int i = 0; i < kPerThread; ++i) {
      const int r = tid / kUnits + i * kRowStep;
      const int key = key0 + r;
      const bool valid = key >= key_begin && key < key_end;
      const int64_t token = kv.token(blocks[i], clamp_key(key, key_begin, key_end));
      const int64_t src = token + int64_t(kv_head) * kHeadDim + unit * 16;
      ptx::cp_async_16(stage + Stage::code_offset(row0 + r, unit * 16), k + src, valid);
      ptx::cp_async_16(stage + Stage::kCodeBytes + Stage::code_offset(row0 + r, unit * 16), v + src, valid);
      const int64_t scale = token / kHeadDim + kv_head;
      if (unit == 0) ptx::cp_async_4(Stage::k_scales(stage) + uint32_t((row0 + r) * 4), view.k_scale + scale, valid);
      if (unit == 1) ptx::cp_async_4(Stage::v_scales(stage) + uint32_t((row0 + r) * 4), view.v_scale + scale, valid);
    }
  }
};

}  // namespace rooflm::attn
