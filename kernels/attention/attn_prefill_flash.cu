// attn_prefill_flash_f16: FlashAttention-style causal prefill over a varlen batch, on Hopper
// warpgroup MMA (wgmma, sm_90a). S = Q K^T never leaves registers.
//
// One CTA = 2 warpgroups = 128 query rows (64 per warpgroup) of one (sequence, head). It walks the
// keys [first key, last query position] in tiles of 128 (first key: 0, or with a sliding window the
// first row's window start; whole tiles left of it are skipped, the partial one is masked): K and V
// tiles are double-buffered in shared memory by cp.async (the next tile loads while this one is
// computed; its block-table lookups were issued one tile earlier still), S = Q K^T is a wgmma with
// both operands in shared memory (K-major), the online softmax runs on the accumulator registers, and
// O += P V is a wgmma with P from registers and V from shared memory (MN-major). Q, K and V tiles use
// the 128-byte swizzle, in column blocks of 64 elements:
//   element (r, c) of a tile of R rows at (c / 64) * R * 128 + ((c % 64) / 8 ^ r % 8) * 16 + (c % 8) * 2
// Grid (n_heads, n_seqs, query tiles), the last query tiles (most keys) first. Rows past q_len, keys
// past kv_len and keys left of the first row's window are zero-filled (never read from memory), so
// NaN-poisoned cache slots stay unread.
//
// A quantised cache (int8 / fp8 codes, kv_quant.cuh): the two buffers hold staged codes and scales;
// once a tile has landed its codes are widened to fp16 (exact) into one K and one V tile that the
// wgmmas read as before; S columns are multiplied by the K scales before the mask and softmax, and
// P columns by the V scales as P is packed (the row sums use the unscaled P).
//
// FLOP count (for benchmarks): 4 * head_dim * (unmasked (query, key) pairs) per head.
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

namespace rooflm::attn {
namespace {

constexpr int kBlockM = 128;  // query rows per CTA (2 warpgroups x 64)
constexpr int kBlockN = 128;  // keys per tile
constexpr int kThreads = 256;

// This kernel's tile shapes: kThreads threads load tiles of kBlockN keys (fp16 values, or codes).
template <int kHeadDim>
using TileRows = KvTile<kHeadDim, kThreads, kBlockN>;
template <int kHeadDim, DType kDtype>
using CodeStage = KvCodeStage<kHeadDim, kBlockN, kDtype>;
template <int kHeadDim, DType kDtype>
using CodeRows = KvCodeLoader<CodeStage<kHeadDim, kDtype>, kHeadDim, kThreads, kBlockN>;

// fp16: Q, then the buffers K0, V0, K1, V1. Quantised: Q, one K and one V fp16 tile (each tile's
// codes widened), then two staging areas (codes and scales). Plus slack to align the base to 1024
// bytes (the swizzle period).
template <int kHeadDim, DType kDtype>
struct PrefillSmem {
  static constexpr int kTileBytes = kBlockN * kHeadDim * 2;  // Q (kBlockM == kBlockN), K and V tiles
  static constexpr int kStageBytes = kKvQuantized<kDtype> ? CodeStage<kHeadDim, kDtype>::kStageBytes : 2 * kTileBytes;
  static constexpr int kStage0 = kTileBytes + (kKvQuantized<kDtype> ? 2 * kTileBytes : 0);
  static constexpr int kBytes = kStage0 + 2 * kStageBytes + 1024;
  static_assert(kBlockM == kBlockN, "Q and K/V tiles share one size");
};

template <int kHeadDim, class Kv, DType kDtype>
__global__ void __launch_bounds__(kThreads, 1)
    attn_prefill_flash_kernel(const __half* __restrict__ q,         // [n_tokens, n_heads, head_dim]
                              __half* __restrict__ out,             // [n_tokens, n_heads, head_dim]
                              const int32_t* __restrict__ q_begin,  // [n_seqs + 1]
                              const int32_t* __restrict__ kv_lens,  // [n_seqs]
                              int n_heads, int group, int layer, KvDeviceView kv_view, int window,
                              float scale_log2) {
#ifdef ROOFLM_HAVE_WGMMA
  constexpr int D = kHeadDim;
  constexpr bool kQuant = kKvQuantized<kDtype>;
  using Smem = PrefillSmem<D, kDtype>;
  using Stage = CodeStage<D, kDtype>;
  using Codes = CodeRows<D, kDtype>;
  using Rows = std::conditional_t<kQuant, Codes, TileRows<D>>;
  constexpr int kTileBytes = Smem::kTileBytes;
  extern __shared__ uint8_t smem_raw[];
  const uint32_t smem = (ptx::smem_addr(smem_raw) + 1023u) & ~1023u;
  const uint32_t q_tile = smem;
  const uint32_t widened_k = smem + kTileBytes;  // quantised: this tile's codes as fp16

  const int head = blockIdx.x, seq = blockIdx.y;
  const int m_tile = int(gridDim.z) - 1 - int(blockIdx.z);
  const int q0 = q_begin[seq];
  const int q_len = q_begin[seq + 1] - q0;
  const int m0 = m_tile * kBlockM;
  if (m0 >= q_len) return;
  const int kv_len = kv_lens[seq];
  const int pos0 = kv_len - q_len + m0;  // position of tile row 0
  const int rows = min(kBlockM, q_len - m0);
  const int n_tiles = (pos0 + rows - 1) / kBlockN + 1;  // tiles [0, n_tiles) reach the last row's key
  const int key_begin = window > 0 ? max(0, pos0 - window + 1) : 0;  // the first row's first key
  const int j_begin = key_begin / kBlockN;                            // tiles left of it are skipped
  const int kv_head_off = (head / group) * D;
  const Kv kv = Kv::bind(kv_view, seq, layer);
  const int tid = threadIdx.x;

  {  // Q tile; rows past q_len are zeros
    constexpr int kUnits = D / 8;
    const int unit = tid % kUnits;
#pragma unroll
    for (int r = tid / kUnits; r < kBlockM; r += kThreads / kUnits) {
      const bool valid = r < rows;
      const __half* src = q + (int64_t(q0 + m0 + (valid ? r : 0)) * n_heads + head) * D + unit * 8;
      ptx::cp_async_16(q_tile + tile_offset<kBlockM>(r, unit), src, valid);
    }
  }
  // Key tile `tile` into buffer `buffer`: fp16 K, V tiles, or the staged codes and scales.
  const auto load_buffer = [&](int buffer, const int32_t (&lookups)[Rows::kPerThread], int tile) {
    const uint32_t stage = smem + uint32_t(Smem::kStage0 + buffer * Smem::kStageBytes);
    if constexpr (kQuant)
      Codes::load(stage, kv_view, kv, lookups, tile * kBlockN, 0, key_begin, kv_len, head / group, tid);
    else
      TileRows<D>::load(stage, stage + kTileBytes, kv_view.k16(), kv_view.v16(), kv, lookups, tile * kBlockN,
                        key_begin, kv_len, kv_head_off, tid);
  };
  // Lookups of the first two tiles go out together: the prologue waits for one table round trip.
  int32_t first_blocks[Rows::kPerThread];
  int32_t blocks[Rows::kPerThread];  // lookups of the next key tile to load
  Rows::lookup(first_blocks, kv, j_begin * kBlockN, key_begin, kv_len, tid);
  if (j_begin + 1 < n_tiles) Rows::lookup(blocks, kv, (j_begin + 1) * kBlockN, key_begin, kv_len, tid);
  load_buffer(0, first_blocks, j_begin);
  ptx::cp_async_commit();

  const int warpgroup = tid / 128, warp = (tid % 128) / 32, lane = tid % 32;
  const int row_lo = warpgroup * 64 + warp * 16 + lane / 4;  // tile row of accumulator regs 0,1 (+8: regs 2,3)
  const int pos_lo = pos0 + row_lo, pos_hi = pos_lo + 8;
  const int first_pos_of_warpgroup = pos0 + warpgroup * 64;
  const int last_pos_of_warpgroup = first_pos_of_warpgroup + 63;
  // Keys <= these are left of the row's window (-1: none, keys are >= 0).
  const int left_lo = window > 0 ? pos_lo - window : -1, left_hi = window > 0 ? pos_hi - window : -1;
  const int col_of_lane = 2 * (lane % 4);

  float o[D / 2];
#pragma unroll
  for (int i = 0; i < D / 2; ++i) o[i] = 0.0f;
  float m_lo = -INFINITY, m_hi = -INFINITY;  // running row maxima of the raw scores
  float l_lo = 0.0f, l_hi = 0.0f;            // this thread's part of the running row sums

  for (int j = j_begin; j < n_tiles; ++j) {
    const int buffer = (j - j_begin) & 1;
    const uint32_t stage = smem + uint32_t(Smem::kStage0 + buffer * Smem::kStageBytes);
    const uint32_t k_tile = kQuant ? widened_k : stage;
    const uint32_t v_tile = k_tile + kTileBytes;
    if (j + 1 < n_tiles) load_buffer(buffer ^ 1, blocks, j + 1);
    ptx::cp_async_commit();
    if (j + 2 < n_tiles) Rows::lookup(blocks, kv, (j + 2) * kBlockN, key_begin, kv_len, tid);
    ptx::cp_async_wait<1>();
    if constexpr (kQuant) {  // the codes landed; the widened tiles are free (the barrier ending the last tile)
      __syncthreads();
      Stage::template widen_k<kBlockN, kThreads>(stage, k_tile, 0, tid);
      Stage::template widen_v<kBlockN, kThreads>(stage, v_tile, 0, tid);
    }
    ptx::fence_proxy_async();
    __syncthreads();

    // S = Q K^T: [64 rows of this warpgroup, kBlockN keys]
    float s[kBlockN / 2];
    ptx::wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      const uint64_t desc_q = ptx::wgmma_desc_sw128(
          q_tile + uint32_t((kk / 4) * kBlockM * 128 + warpgroup * 64 * 128 + (kk % 4) * 32), 16, 1024);
      const uint64_t desc_k =
          ptx::wgmma_desc_sw128(k_tile + uint32_t((kk / 4) * kBlockN * 128 + (kk % 4) * 32), 16, 1024);
      ptx::wgmma_m64n128k16_ss(s, desc_q, desc_k, kk > 0);
    }
    ptx::wgmma_commit();
    ptx::wgmma_wait<0>();
#pragma unroll
    for (int i = 0; i < kBlockN / 2; ++i) ptx::fence_operand(s[i]);

    if constexpr (kQuant) {  // S columns times their K scales (zero-filled keys: scale 0, masked below)
#pragma unroll
      for (int c = 0; c < kBlockN / 8; ++c) {
        const float2 ks = ptx::ld_shared_f32x2(Stage::k_scales(stage) + uint32_t(c * 8 + col_of_lane) * 4);
        s[4 * c + 0] *= ks.x;
        s[4 * c + 1] *= ks.y;
        s[4 * c + 2] *= ks.x;
        s[4 * c + 3] *= ks.y;
      }
    }

    // Causal mask, only where a key of this tile can follow a query of this warpgroup; window mask,
    // only where a key of this tile is left of the window of one of its queries.
    const bool causal_cut = j * kBlockN + kBlockN - 1 > first_pos_of_warpgroup;
    const bool window_cut = window > 0 && j * kBlockN <= last_pos_of_warpgroup - window;
    if (causal_cut || window_cut) {
#pragma unroll
      for (int c = 0; c < kBlockN / 8; ++c) {
        const int key = j * kBlockN + c * 8 + col_of_lane;
        if (key > pos_lo || key <= left_lo) s[4 * c + 0] = -INFINITY;
        if (key + 1 > pos_lo || key + 1 <= left_lo) s[4 * c + 1] = -INFINITY;
        if (key > pos_hi || key <= left_hi) s[4 * c + 2] = -INFINITY;
        if (key + 1 > pos_hi || key + 1 <= left_hi) s[4 * c + 3] = -INFINITY;
      }
    }

    // Online softmax. Without a window every row sees key 0 in the first tile; with one, a row can
    // have all keys of a tile masked (its window starts in a later tile): its maximum stays -inf,
    // and `safe` (0 then) keeps alpha and p at 0 instead of NaN, so the row contributes nothing.
    float max_lo = m_lo, max_hi = m_hi;
#pragma unroll
    for (int c = 0; c < kBlockN / 8; ++c) {
      max_lo = fmaxf(max_lo, fmaxf(s[4 * c + 0], s[4 * c + 1]));
      max_hi = fmaxf(max_hi, fmaxf(s[4 * c + 2], s[4 * c + 3]));
    }
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
    const float bias_lo = safe_lo * scale_log2, bias_hi = safe_hi * scale_log2;
    float sum_lo = 0.0f, sum_hi = 0.0f;
    uint32_t p[kBlockN / 16][4];  // P as m16n8k16 A fragments, one per 16 keys
#pragma unroll
    for (int c = 0; c < kBlockN / 8; ++c) {
      const float p0 = exp2f(fmaf(s[4 * c + 0], scale_log2, -bias_lo));
      const float p1 = exp2f(fmaf(s[4 * c + 1], scale_log2, -bias_lo));
      const float p2 = exp2f(fmaf(s[4 * c + 2], scale_log2, -bias_hi));
      const float p3 = exp2f(fmaf(s[4 * c + 3], scale_log2, -bias_hi));
      sum_lo += p0 + p1;
      sum_hi += p2 + p3;
      if constexpr (kQuant) {  // P columns times their V scales: P V of the codes is P V of the values
        const float2 vs = ptx::ld_shared_f32x2(Stage::v_scales(stage) + uint32_t(c * 8 + col_of_lane) * 4);
        p[c / 2][(c % 2) * 2 + 0] = ptx::pack_half2(p0 * vs.x, p1 * vs.y);
        p[c / 2][(c % 2) * 2 + 1] = ptx::pack_half2(p2 * vs.x, p3 * vs.y);
      } else {
        p[c / 2][(c % 2) * 2 + 0] = ptx::pack_half2(p0, p1);
        p[c / 2][(c % 2) * 2 + 1] = ptx::pack_half2(p2, p3);
      }
    }
    l_lo = l_lo * alpha_lo + sum_lo;
    l_hi = l_hi * alpha_hi + sum_hi;
#pragma unroll
    for (int c = 0; c < D / 8; ++c) {
      o[4 * c + 0] *= alpha_lo;
      o[4 * c + 1] *= alpha_lo;
      o[4 * c + 2] *= alpha_hi;
      o[4 * c + 3] *= alpha_hi;
    }

    // O += P V: [64 rows, D]
#pragma unroll
    for (int i = 0; i < D / 2; ++i) ptx::fence_operand(o[i]);
    ptx::wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kBlockN / 16; ++kk) {
      const uint64_t desc_v = ptx::wgmma_desc_sw128(v_tile + uint32_t(kk * 16 * 128), kBlockN * 128, 1024);
      if constexpr (D == 128)
        ptx::wgmma_m64n128k16_rs(o, p[kk], desc_v);
      else
        ptx::wgmma_m64n64k16_rs(o, p[kk], desc_v);
    }
    ptx::wgmma_commit();
    ptx::wgmma_wait<0>();
#pragma unroll
    for (int i = 0; i < D / 2; ++i) ptx::fence_operand(o[i]);
    __syncthreads();  // this K/V buffer is refilled by the next iteration's loads
  }

#pragma unroll
  for (int offset = 1; offset <= 2; offset *= 2) {
    l_lo += __shfl_xor_sync(0xffffffffu, l_lo, offset);
    l_hi += __shfl_xor_sync(0xffffffffu, l_hi, offset);
  }
  const float inv_lo = 1.0f / l_lo, inv_hi = 1.0f / l_hi;
  __half* out_lo = out + (int64_t(q0 + m0 + row_lo) * n_heads + head) * D + col_of_lane;
  __half* out_hi = out_lo + int64_t(8) * n_heads * D;
#pragma unroll
  for (int c = 0; c < D / 8; ++c) {
    if (row_lo < rows)
      *reinterpret_cast<__half2*>(out_lo + c * 8) = __floats2half2_rn(o[4 * c + 0] * inv_lo, o[4 * c + 1] * inv_lo);
    if (row_lo + 8 < rows)
      *reinterpret_cast<__half2*>(out_hi + c * 8) = __floats2half2_rn(o[4 * c + 2] * inv_hi, o[4 * c + 3] * inv_hi);
  }
#else
  __trap();  // built without sm_90a: attn_prefill_flash_supported() is false there
#endif
}

}  // namespace

bool attn_prefill_flash_supported(int32_t head_dim, int32_t n_heads, int32_t n_kv_heads) {
  return (head_dim == 64 || head_dim == 128) && n_kv_heads > 0 && n_heads % n_kv_heads == 0 &&
         current_device_caps().cc_major == 9 && current_device_caps().cc_minor == 0;
}

size_t attn_prefill_flash_scratch_bytes(const AttnBatch&, int32_t, const KvDeviceView&) { return 0; }

void attn_prefill_flash_f16(const __half* q, __half* out, const AttnBatch& batch, int32_t n_heads, int32_t layer,
                            const KvDeviceView& kv, void*, cudaStream_t stream) {
  if (!attn_prefill_flash_supported(kv.head_dim, n_heads, kv.n_kv_heads))
    throw InputError("attn_prefill_flash_f16: unsupported head_dim " + std::to_string(kv.head_dim) + ", n_heads " +
                     std::to_string(n_heads) + ", n_kv_heads " + std::to_string(kv.n_kv_heads) +
                     " (needs head_dim 64/128, n_heads % n_kv_heads == 0, an sm_90 device)");
  if (batch.window < 0)
    throw InputError("attn_prefill_flash_f16: window must be >= 0 (0: none), got " + std::to_string(batch.window));
  if (batch.n_seqs == 0 || batch.max_q_len == 0) return;
  const float scale_log2 = float(M_LOG2E / std::sqrt(double(kv.head_dim)));
  const int group = n_heads / kv.n_kv_heads;
  const dim3 grid(unsigned(n_heads), unsigned(batch.n_seqs), unsigned((batch.max_q_len + kBlockM - 1) / kBlockM));
  ROOFLM_DISPATCH_HEAD_DIM(kv.head_dim, kHeadDim, [&] {
    require_kv_view_supported(kv, "attn_prefill_flash_f16");
    ROOFLM_DISPATCH_KV_LAYOUT(kv.layout, Kv, [&] {
      ROOFLM_DISPATCH_KV_DTYPE(kv.dtype, kDtype, [&] {
        auto* kernel = attn_prefill_flash_kernel<kHeadDim, Kv, kDtype>;
        constexpr int smem = PrefillSmem<kHeadDim, kDtype>::kBytes;
        ensure_dynamic_smem(reinterpret_cast<const void*>(kernel), smem);
        kernel<<<grid, kThreads, smem, stream>>>(q, out, batch.q_begin, batch.kv_len, n_heads, group, layer, kv,
                                                 batch.window, scale_log2);
        ROOFLM_CUDA_CHECK(cudaGetLastError());
      });
    });
  });
}

}  // namespace rooflm::attn
