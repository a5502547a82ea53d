// attn_decode_splitk_f16: split-K flash-decoding, one query token per sequence.
//
// Grid (n_splits, n_kv_heads, n_seqs). Block (split, kv head, seq) reads the keys
// [start + split * chunk_len, min(kv_len, start + (split + 1) * chunk_len)) of one kv head once
// (start = 0, or with a sliding window max(0, kv_len - window): the splits cover only the window),
// for all the query heads that share it (GQA group, up to 16: the rows of an m16n8k16 tensor-core
// tile; unused rows are zeros). K/V tiles of 64 keys stream through a 3-stage cp.async pipeline
// (16-byte loads) into 128-byte-swizzled shared memory (the block-table lookups of a tile are issued
// one tile earlier still); warp w takes keys [16w, 16w + 16) of every tile, computes
// S = Q K^T and O += P V with mma.sync and keeps its own online softmax. At the end the 4 warps are
// merged in shared memory. With one split the block writes the fp16 output; otherwise it writes a
// partial (normalised acc, log2-sum-exp) to the workspace and attn_decode_merge_kernel combines the
// splits of each (seq, head) by log-sum-exp.
//
// A quantised cache (int8 / fp8 codes, kv_quant.cuh): 5 stages hold each tile's codes and scales
// (the same bytes in flight as 3 fp16 stages), and each warp loads only its own 16 keys of a tile,
// so the loop needs warp barriers only (the fp16 path's block barrier per tile and a second one
// for widened data left the kernel latency-bound at ~0.55 of the read bandwidth). Each thread takes
// its S = Q K^T operand as 4 consecutive codes of a key straight from staging, widened to fp16 in
// registers (the k-slots of the MMA permuted, Q's fragment likewise); the warp widens its V codes
// (exact) into its rows of one fp16 tile that P V reads as before; S columns are multiplied by their
// keys' K scales before the softmax and P columns by the V scales before P V (the row sums l use the
// unscaled P).
//
// Workspace: part_o [n_seqs, n_heads, n_splits, head_dim] fp32, part_lse [n_seqs, n_heads, n_splits] fp32.
// Bytes moved (for benchmarks): the K and V of every context token (in the window), once (codes and
// scales when quantised).
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "common/error.h"
#include "kernels/attention/attention.h"
#include "kernels/attention/device_caps.h"
#include "kernels/attention/dispatch.cuh"
#include "kernels/attention/kv_accessor.cuh"
#include "kernels/attention/kv_tile.cuh"
#include "kernels/attention/ptx.cuh"
#include "kernels/common/cuda_check.h"
#include "kernels/common/pdl.cuh"

namespace rooflm::attn {
namespace {

#ifndef ROOFLM_DECODE_QUANT_STAGES  // tuning experiments only: tools/kbench/attn_bench.cu
#define ROOFLM_DECODE_QUANT_STAGES 5
#define ROOFLM_DECODE_QUANT_BLOCKS 2
#endif
constexpr int kTileKeys = 64;
// cp.async pipeline depth: fp16 tiles are 2x the bytes of code tiles, so a quantised cache keeps
// more tiles in flight for the same bytes (2 blocks per SM: 2 x 4 tiles of 16 KB vs 2 x 2 of 32 KB).
template <DType kDtype>
inline constexpr int kStages = kKvQuantized<kDtype> ? ROOFLM_DECODE_QUANT_STAGES : 3;
// Blocks per SM the kernel is built for (registers <= 64K / (blocks x 128)); shared memory must fit.
template <DType kDtype>
inline constexpr int kMinBlocks = kKvQuantized<kDtype> ? ROOFLM_DECODE_QUANT_BLOCKS : 2;
constexpr int kWarps = 4;  // warp w owns keys [16w, 16w + 16) of each tile
constexpr int kThreads = kWarps * 32;
constexpr int kMaxGroup = 16;     // query heads per kv head: the m16 rows of the MMA
constexpr int kMinSplitKeys = 128;  // a split gets at least two tiles (unless the context is shorter)

// This kernel's tile shapes: kThreads threads load tiles of kTileKeys keys (fp16 values, or codes).
template <int kHeadDim>
using TileRows = KvTile<kHeadDim, kThreads, kTileKeys>;
template <int kHeadDim, DType kDtype>
using CodeStage = KvCodeStage<kHeadDim, kTileKeys, kDtype>;
// Quantised: each warp loads (and reads) only its own 16 keys of a tile.
template <int kHeadDim, DType kDtype>
using WarpCodeRows = KvCodeLoader<CodeStage<kHeadDim, kDtype>, kHeadDim, 32, 16>;

// fp16: Q, then kStages x (K, V) tiles. Quantised: Q, one fp16 V tile that each tile's V codes are
// widened into (K codes are read from staging), then kStages staging areas (codes and scales).
template <int kHeadDim, DType kDtype>
struct DecodeSmem {
  static constexpr int kQBytes = kMaxGroup * kHeadDim * 2;
  static constexpr int kTileBytes = kTileKeys * kHeadDim * 2;
  static constexpr int kStageBytes =
      kKvQuantized<kDtype> ? CodeStage<kHeadDim, kDtype>::kStageBytes : 2 * kTileBytes;
  static constexpr int kStage0 = kQBytes + (kKvQuantized<kDtype> ? kTileBytes : 0);
  static constexpr int kPipeBytes = kStage0 + kStages<kDtype> * kStageBytes;
  // After the loop the pipeline buffers hold each warp's (m, l, acc) for the final merge.
  static constexpr int kMergeBytes = kWarps * kMaxGroup * (kHeadDim + 2) * 4;
  static constexpr int kBytes = (kPipeBytes > kMergeBytes ? kPipeBytes : kMergeBytes) + 1024;
};

template <int kHeadDim, class Kv, DType kDtype>
__global__ void __launch_bounds__(kThreads, kMinBlocks<kDtype>)
    attn_decode_splitk_kernel(const __half* __restrict__ q,         // [n_seqs, n_heads, head_dim]
                              __half* __restrict__ out,             // [n_seqs, n_heads, head_dim]
                              float* __restrict__ part_o,           // [n_seqs, n_heads, n_splits, head_dim]
                              float* __restrict__ part_lse,         // [n_seqs, n_heads, n_splits]
                              const int32_t* __restrict__ q_begin,  // [n_seqs + 1]
                              const int32_t* __restrict__ kv_lens,  // [n_seqs]
                              int n_heads, int group, int layer, KvDeviceView kv_view, int window,
                              int chunk_len, float scale_log2) {
  pdl_launch_dependents();  // the merge or the O-projection GEMV may launch
  pdl_wait();               // q and this step's K, V are the RoPE + KV write's output
  constexpr int D = kHeadDim;
  constexpr bool kQuant = kKvQuantized<kDtype>;
  using Smem = DecodeSmem<D, kDtype>;
  using Stage = CodeStage<D, kDtype>;
  using Codes = WarpCodeRows<D, kDtype>;
  using Rows = std::conditional_t<kQuant, Codes, TileRows<D>>;
  extern __shared__ uint8_t smem_raw[];
  uint8_t* smem_ptr = smem_raw + ((1024u - (ptx::smem_addr(smem_raw) & 1023u)) & 1023u);
  const uint32_t smem = ptx::smem_addr(smem_ptr);
  const uint32_t q_tile = smem;
  const uint32_t stage0 = smem + Smem::kStage0;
  constexpr int kDepth = kStages<kDtype>;
  const uint32_t widened_v = smem + Smem::kQBytes;  // quantised: this tile's V codes as fp16

  const int split = blockIdx.x, kv_head = blockIdx.y, seq = blockIdx.z, n_splits = gridDim.x;
  const int kv_len = kv_lens[seq];
  const int start = window > 0 ? max(0, kv_len - window) : 0;  // the query at kv_len - 1 sees [start, kv_len)
  const int key_begin = start + split * chunk_len;
  if (key_begin >= kv_len) return;  // the merge reads only the splits that hold keys
  const int key_end = min(kv_len, key_begin + chunk_len);
  const int n_tiles = (key_end - key_begin + kTileKeys - 1) / kTileKeys;
  const int kv_head_off = kv_head * D;
  const int q_row = q_begin[seq];
  const int head0 = kv_head * group;
  const Kv kv = Kv::bind(kv_view, seq, layer);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;

  {  // Q rows of the group; rows >= group are zeros
    constexpr int kUnits = D / 8;
    const int unit = tid % kUnits;
#pragma unroll
    for (int r = tid / kUnits; r < kMaxGroup; r += kThreads / kUnits) {
      const bool valid = r < group;
      const __half* src = q + (int64_t(q_row) * n_heads + head0 + (valid ? r : 0)) * D + unit * 8;
      ptx::cp_async_16(q_tile + tile_offset<kMaxGroup>(r, unit), src, valid);
    }
  }
  // Tile `tile` into pipeline stage `st`: fp16 K, V tiles (all threads), or the staged codes and
  // scales (each warp its own 16 keys: rows [16 warp, 16 warp + 16)).
  const int row0 = kQuant ? warp * 16 : 0;
  const int loader = kQuant ? lane : tid;
  const auto lookup_tile = [&](int32_t (&lookups)[Rows::kPerThread], int tile) {
    Rows::lookup(lookups, kv, key_begin + tile * kTileKeys + row0, key_begin, key_end, loader);
  };
  const auto load_stage = [&](int st, const int32_t (&lookups)[Rows::kPerThread], int tile) {
    const uint32_t stage = stage0 + uint32_t(st) * Smem::kStageBytes;
    const int key0 = key_begin + tile * kTileKeys;
    if constexpr (kQuant)
      Codes::load(stage, kv_view, kv, lookups, key0 + row0, row0, key_begin, key_end, kv_head, lane);
    else
      TileRows<D>::load(stage, stage + Smem::kTileBytes, kv_view.k16(), kv_view.v16(), kv, lookups, key0, key_begin,
                        key_end, kv_head_off, tid);
  };
  // All lookups of the first tiles go out together, so the prologue waits for one table round trip.
  int32_t first_blocks[kDepth - 1][Rows::kPerThread];
  int32_t blocks[Rows::kPerThread];  // lookups of the next tile to load
#pragma unroll
  for (int st = 0; st < kDepth - 1; ++st)
    if (st < n_tiles) lookup_tile(first_blocks[st], st);
  if (kDepth - 1 < n_tiles) lookup_tile(blocks, kDepth - 1);
#pragma unroll
  for (int st = 0; st < kDepth - 1; ++st) {
    if (st < n_tiles) load_stage(st, first_blocks[st], st);
    ptx::cp_async_commit();
  }

  uint32_t q_frag[D / 16][4];
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.0f;
  float m_lo = -INFINITY, m_hi = -INFINITY, l_lo = 0.0f, l_hi = 0.0f;
  const int col_of_lane = 2 * (lane % 4);

  for (int j = 0; j < n_tiles; ++j) {
    ptx::cp_async_wait<kDepth - 2>();
    // Tile j landed for everyone; everyone is done with tile j - 1's stage. Quantised: each warp
    // loads and reads only its own rows, so a warp barrier does (and Q, which every thread loaded,
    // needs the block once).
    if (!kQuant || j == 0)
      __syncthreads();
    else
      __syncwarp();
    if (j + kDepth - 1 < n_tiles) load_stage((j + kDepth - 1) % kDepth, blocks, j + kDepth - 1);
    ptx::cp_async_commit();
    if (j + kDepth < n_tiles) lookup_tile(blocks, j + kDepth);
    const uint32_t stage = stage0 + uint32_t(j % kDepth) * Smem::kStageBytes;
    if constexpr (kQuant) {  // this warp's V rows as fp16 (its lanes are done with the last ones: the barrier above)
      Stage::template widen_v<16, 32>(stage, widened_v, row0, lane);
      __syncwarp();
    }
    if (j == 0) {
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        if constexpr (kQuant) {
          // The k-slots of each 16-dim step permuted so that a thread's K operand is 4 consecutive
          // codes of its key (k_word): slots 2t, 2t+1, 2t+8, 2t+9 hold dims 4t .. 4t+3, and the Q
          // fragment takes the same dims (a0/a1: dims 4t, 4t+1 of rows g, g+8; a2/a3: 4t+2, 4t+3).
          const int t = lane % 4, unit = 2 * kk + t / 2;
          const uint2 lo = ptx::ld_shared_u2(q_tile + tile_offset<kMaxGroup>(lane / 4, unit) + (t % 2) * 8);
          const uint2 hi = ptx::ld_shared_u2(q_tile + tile_offset<kMaxGroup>(lane / 4 + 8, unit) + (t % 2) * 8);
          q_frag[kk][0] = lo.x;
          q_frag[kk][1] = hi.x;
          q_frag[kk][2] = lo.y;
          q_frag[kk][3] = hi.y;
        } else {
          ptx::ldmatrix_x4(q_frag[kk], q_tile + tile_offset<kMaxGroup>((lane % 8) + ((lane / 8) % 2) * 8,
                                                                         2 * kk + lane / 16));
        }
      }
    }
    const uint32_t v_tile = kQuant ? widened_v : stage + Smem::kTileBytes;

    // S = Q K^T for this warp's 16 keys: s[n-tile of 8 keys][4]
    float s[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      if constexpr (kQuant) {  // B = 4 codes of key warp*16 + nt*8 + g, dims kk*16 + 4t .. + 3 (see Q above)
#pragma unroll
        for (int nt = 0; nt < 2; ++nt) {
          const uint32_t word = Stage::k_word(stage, warp * 16 + nt * 8 + lane / 4, kk * 16 + 4 * (lane % 4));
          const uint2 b = widen4_f16<kDtype>(word);
          ptx::mma_m16n8k16(s[nt], q_frag[kk], b.x, b.y);
        }
      } else {
        uint32_t b[4];
        ptx::ldmatrix_x4(b, stage + tile_offset<kTileKeys>(warp * 16 + (lane % 8) + (lane / 16) * 8,
                                                           2 * kk + (lane / 8) % 2));
        ptx::mma_m16n8k16(s[0], q_frag[kk], b[0], b[1]);
        ptx::mma_m16n8k16(s[1], q_frag[kk], b[2], b[3]);
      }
    }
    const int key_of_lane = key_begin + j * kTileKeys + warp * 16 + col_of_lane;
    float v_scale[2][2];  // quantised: the V scales of this lane's keys (warp * 16 + nt * 8 + col_of_lane + e)
    if constexpr (kQuant) {  // S columns times their K scales; padded keys have scale 0 (and are masked)
#pragma unroll
      for (int nt = 0; nt < 2; ++nt) {
        const uint32_t row = uint32_t(warp * 16 + nt * 8 + col_of_lane) * 4;
        const float2 ks = ptx::ld_shared_f32x2(Stage::k_scales(stage) + row);
        const float2 vs = ptx::ld_shared_f32x2(Stage::v_scales(stage) + row);
        s[nt][0] *= ks.x;
        s[nt][1] *= ks.y;
        s[nt][2] *= ks.x;
        s[nt][3] *= ks.y;
        v_scale[nt][0] = vs.x;
        v_scale[nt][1] = vs.y;
      }
    }
    if (key_begin + (j + 1) * kTileKeys > key_end) {
#pragma unroll
      for (int nt = 0; nt < 2; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          if (key_of_lane + nt * 8 + (e & 1) >= key_end) s[nt][e] = -INFINITY;
    }

    // Online softmax; a warp whose keys are all masked so far keeps m = -inf and contributes zero.
    float max_lo = fmaxf(m_lo, fmaxf(fmaxf(s[0][0], s[0][1]), fmaxf(s[1][0], s[1][1])));
    float max_hi = fmaxf(m_hi, fmaxf(fmaxf(s[0][2], s[0][3]), fmaxf(s[1][2], s[1][3])));
#pragma unroll
    for (int offset = 1; offset <= 2; offset *= 2) {
      max_lo = fmaxf(max_lo, __shfl_xor_sync(0xffffffffu, max_lo, offset));
      max_hi = fmaxf(max_hi, __shfl_xor_sync(0xffffffffu, max_hi, offset));
    }
    const float safe_lo = max_lo == -INFINITY ? 0.0f : max_lo;
    const float safe_hi = max_hi == -INFINITY ? 0.0f : max_hi;
    const float alpha_lo = exp2f((m_lo - safe_lo) * scale_log2);
    const float alpha_hi = exp2f((m_hi - safe_hi) * scale_log2);
    m_lo = max_lo;
    m_hi = max_hi;
    float p[2][4];
#pragma unroll
    for (int nt = 0; nt < 2; ++nt) {
      p[nt][0] = exp2f((s[nt][0] - safe_lo) * scale_log2);
      p[nt][1] = exp2f((s[nt][1] - safe_lo) * scale_log2);
      p[nt][2] = exp2f((s[nt][2] - safe_hi) * scale_log2);
      p[nt][3] = exp2f((s[nt][3] - safe_hi) * scale_log2);
    }
    l_lo = l_lo * alpha_lo + (p[0][0] + p[0][1] + p[1][0] + p[1][1]);
    l_hi = l_hi * alpha_hi + (p[0][2] + p[0][3] + p[1][2] + p[1][3]);
    if constexpr (kQuant) {  // P columns times their V scales: P V of the codes is then P V of the values
#pragma unroll
      for (int nt = 0; nt < 2; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) p[nt][e] *= v_scale[nt][e & 1];
    }
    const uint32_t p_frag[4] = {ptx::pack_half2(p[0][0], p[0][1]), ptx::pack_half2(p[0][2], p[0][3]),
                                ptx::pack_half2(p[1][0], p[1][1]), ptx::pack_half2(p[1][2], p[1][3])};

    // O = alpha O: skipped (exactly: alpha is 1.0f) once no row's running max moved in this tile,
    // the common case after the first tiles of a long context.
    if (__any_sync(0xffffffffu, alpha_lo != 1.0f || alpha_hi != 1.0f)) {
#pragma unroll
      for (int nt = 0; nt < D / 8; ++nt) {
        o[nt][0] *= alpha_lo;
        o[nt][1] *= alpha_lo;
        o[nt][2] *= alpha_hi;
        o[nt][3] *= alpha_hi;
      }
    }
    // O += P V over this warp's 16 keys
#pragma unroll
    for (int dt = 0; dt < D / 16; ++dt) {
      uint32_t b[4];
      ptx::ldmatrix_x4_trans(b, v_tile + tile_offset<kTileKeys>(warp * 16 + (lane % 8) + ((lane / 8) % 2) * 8,
                                                                2 * dt + lane / 16));
      ptx::mma_m16n8k16(o[2 * dt], p_frag, b[0], b[1]);
      ptx::mma_m16n8k16(o[2 * dt + 1], p_frag, b[2], b[3]);
    }
  }
  ptx::cp_async_wait<0>();
  __syncthreads();  // the pipeline buffers become the merge buffers

  // Merge the 4 warps: merge_o [warp][row][D], merge_m / merge_l [warp][row].
  float* merge_o = reinterpret_cast<float*>(smem_ptr);
  float* merge_m = merge_o + kWarps * kMaxGroup * D;
  float* merge_l = merge_m + kWarps * kMaxGroup;
#pragma unroll
  for (int offset = 1; offset <= 2; offset *= 2) {
    l_lo += __shfl_xor_sync(0xffffffffu, l_lo, offset);
    l_hi += __shfl_xor_sync(0xffffffffu, l_hi, offset);
  }
  const int row_lo = lane / 4;
  if (lane % 4 == 0) {
    merge_m[warp * kMaxGroup + row_lo] = m_lo;
    merge_m[warp * kMaxGroup + row_lo + 8] = m_hi;
    merge_l[warp * kMaxGroup + row_lo] = l_lo;
    merge_l[warp * kMaxGroup + row_lo + 8] = l_hi;
  }
#pragma unroll
  for (int nt = 0; nt < D / 8; ++nt) {
    float* lo = merge_o + (warp * kMaxGroup + row_lo) * D + nt * 8 + col_of_lane;
    lo[0] = o[nt][0];
    lo[1] = o[nt][1];
    lo[8 * D] = o[nt][2];
    lo[8 * D + 1] = o[nt][3];
  }
  __syncthreads();

  for (int idx = tid; idx < group * D; idx += kThreads) {
    const int row = idx / D, d = idx % D;
    float m = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) m = fmaxf(m, merge_m[w * kMaxGroup + row]);
    float l = 0.0f, acc = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float weight = exp2f((merge_m[w * kMaxGroup + row] - m) * scale_log2);  // 0 for an empty warp
      l += weight * merge_l[w * kMaxGroup + row];
      acc += weight * merge_o[(w * kMaxGroup + row) * D + d];
    }
    const int head = head0 + row;
    if (n_splits == 1) {
      out[(int64_t(q_row) * n_heads + head) * D + d] = __float2half_rn(acc / l);
    } else {
      const int64_t part = (int64_t(seq) * n_heads + head) * n_splits + split;
      part_o[part * D + d] = acc / l;
      if (d == 0) part_lse[part] = m * scale_log2 + log2f(l);
    }
  }
}

// out[seq, head] = sum_s 2^(lse_s - M) o_s / sum_s 2^(lse_s - M) over the splits holding keys.
template <int kHeadDim>
__global__ void __launch_bounds__(kHeadDim)
    attn_decode_merge_kernel(__half* __restrict__ out,                // [n_seqs, n_heads, head_dim]
                             const float* __restrict__ part_o,        // [n_seqs, n_heads, n_splits, head_dim]
                             const float* __restrict__ part_lse,      // [n_seqs, n_heads, n_splits]
                             const int32_t* __restrict__ q_begin,     // [n_seqs + 1]
                             const int32_t* __restrict__ kv_lens,     // [n_seqs]
                             int n_heads, int n_splits, int window, int chunk_len) {
  pdl_launch_dependents();  // the O-projection GEMV may start streaming weights
  pdl_wait();               // the split kernel's partial results
  const int head = blockIdx.x, seq = blockIdx.y, d = threadIdx.x;
  const int kv_len = kv_lens[seq];
  const int n_keys = window > 0 ? min(kv_len, window) : kv_len;  // as the split kernel's [start, kv_len)
  const int valid_splits = (n_keys + chunk_len - 1) / chunk_len;
  const int64_t part0 = (int64_t(seq) * n_heads + head) * n_splits;
  float m = -INFINITY;
  for (int s = 0; s < valid_splits; ++s) m = fmaxf(m, part_lse[part0 + s]);
  float weight_sum = 0.0f, acc = 0.0f;
  for (int s = 0; s < valid_splits; ++s) {
    const float weight = exp2f(part_lse[part0 + s] - m);
    weight_sum += weight;
    acc += weight * part_o[(part0 + s) * kHeadDim + d];
  }
  out[(int64_t(q_begin[seq]) * n_heads + head) * kHeadDim + d] = __float2half_rn(acc / weight_sum);
}

struct SplitPlan {
  int n_splits;
  int chunk_len;  // keys per split, a multiple of the tile
};

// requested 0: enough blocks for ~4 per SM (2 resident per SM, 2 waves), each split >= kMinSplitKeys.
// The keys to split are the longest context, or with a window at most `window` of them.
SplitPlan plan_splits(const AttnBatch& batch, int n_kv_heads, int requested) {
  const int max_keys = batch.window > 0 ? std::min(batch.max_kv_len, batch.window) : batch.max_kv_len;
  const int max_kv = max_keys > 0 ? max_keys : 1;
  int want = requested;
  if (want <= 0) {
    const int base_blocks = batch.n_seqs * n_kv_heads;
    want = (4 * current_device_caps().sm_count + base_blocks - 1) / base_blocks;
    want = std::min(want, (max_kv + kMinSplitKeys - 1) / kMinSplitKeys);
  }
  want = std::max(1, std::min(want, (max_kv + kTileKeys - 1) / kTileKeys));
  const int chunk = ((max_kv + want - 1) / want + kTileKeys - 1) / kTileKeys * kTileKeys;
  return {(max_kv + chunk - 1) / chunk, chunk};
}

size_t align_up(size_t x) { return (x + 255) & ~size_t(255); }

}  // namespace

bool attn_decode_splitk_supported(int32_t head_dim, int32_t n_heads, int32_t n_kv_heads, int32_t max_q_len) {
  return (head_dim == 64 || head_dim == 128) && n_kv_heads > 0 && n_heads % n_kv_heads == 0 &&
         n_heads / n_kv_heads <= kMaxGroup && max_q_len <= 1;
}

int32_t attn_decode_splitk_num_splits(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv) {
  return plan_splits(batch, kv.n_kv_heads, 0).n_splits;
}

size_t attn_decode_splitk_scratch_bytes(const AttnBatch& batch, int32_t n_heads, const KvDeviceView& kv,
                                        int32_t n_splits) {
  const SplitPlan plan = plan_splits(batch, kv.n_kv_heads, n_splits);
  if (plan.n_splits == 1) return 0;
  const size_t parts = size_t(batch.n_seqs) * n_heads * plan.n_splits;
  return align_up(parts * kv.head_dim * sizeof(float)) + align_up(parts * sizeof(float));
}

void attn_decode_splitk_f16(const __half* q, __half* out, const AttnBatch& batch, int32_t n_heads, int32_t layer,
                            const KvDeviceView& kv, void* scratch, cudaStream_t stream, int32_t n_splits) {
  if (!attn_decode_splitk_supported(kv.head_dim, n_heads, kv.n_kv_heads, batch.max_q_len))
    throw InputError("attn_decode_splitk_f16: unsupported head_dim " + std::to_string(kv.head_dim) + ", n_heads " +
                     std::to_string(n_heads) + ", n_kv_heads " + std::to_string(kv.n_kv_heads) + ", max_q_len " +
                     std::to_string(batch.max_q_len) + " (needs head_dim 64/128, a GQA group <= 16, q_len 1)");
  if (batch.window < 0)
    throw InputError("attn_decode_splitk_f16: window must be >= 0 (0: none), got " + std::to_string(batch.window));
  if (batch.n_seqs == 0) return;
  const SplitPlan plan = plan_splits(batch, kv.n_kv_heads, n_splits);
  const size_t parts = size_t(batch.n_seqs) * n_heads * plan.n_splits;
  float* part_o = static_cast<float*>(scratch);
  float* part_lse = plan.n_splits > 1
                        ? reinterpret_cast<float*>(static_cast<char*>(scratch) +
                                                   align_up(parts * kv.head_dim * sizeof(float)))
                        : nullptr;
  ROOFLM_CHECK(plan.n_splits == 1 || scratch != nullptr, "decode split-K needs its workspace");
  const float scale_log2 = float(M_LOG2E / std::sqrt(double(kv.head_dim)));
  const int group = n_heads / kv.n_kv_heads;
  ROOFLM_DISPATCH_HEAD_DIM(kv.head_dim, kHeadDim, [&] {
    require_kv_view_supported(kv, "attn_decode_splitk_f16");
    ROOFLM_DISPATCH_KV_LAYOUT(kv.layout, Kv, [&] {
      ROOFLM_DISPATCH_KV_DTYPE(kv.dtype, kDtype, [&] {
        auto* kernel = attn_decode_splitk_kernel<kHeadDim, Kv, kDtype>;
        static_assert(kMinBlocks<kDtype> * (DecodeSmem<kHeadDim, kDtype>::kBytes + 1024) <= 228 * 1024,
                      "shared memory holds kMinBlocks blocks per SM");
        constexpr int smem = DecodeSmem<kHeadDim, kDtype>::kBytes;
        ensure_dynamic_smem(reinterpret_cast<const void*>(kernel), smem);
        const dim3 grid(unsigned(plan.n_splits), unsigned(kv.n_kv_heads), unsigned(batch.n_seqs));
        launch_with_pdl(kernel, grid, kThreads, smem, stream, q, out, part_o, part_lse, batch.q_begin, batch.kv_len,
                        n_heads, group, layer, kv, batch.window, plan.chunk_len, scale_log2);
      });
    });
    if (plan.n_splits > 1) {
      launch_with_pdl(attn_decode_merge_kernel<kHeadDim>, dim3(unsigned(n_heads), unsigned(batch.n_seqs)), kHeadDim, 0,
                      stream, out, part_o, part_lse, batch.q_begin, batch.kv_len, n_heads, plan.n_splits, batch.window,
                      plan.chunk_len);
    }
  });
}

}  // namespace rooflm::attn
