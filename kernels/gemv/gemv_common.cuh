// What the decode GEMVs (gemv_f16.cu, gemv_quant.cu) and the quantised mma GEMMs
// (kernels/gemm/gemm_quant_mma.cu) share: the 16-byte alignment check of their vector loads, the
// weight loads that bypass L1 (each weight is read once, so x, which every block re-reads, stays
// in L1) and the warp sum. They are launched with programmatic dependent launch
// (kernels/common/pdl.cuh): their first weight loads overlap the previous kernel's tail.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm::gemv {

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

__device__ __forceinline__ uint4 load_streaming(const uint4* p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Issues this thread's next LOADS x ROWS 16-byte weight vectors: vector v0 + u * THREADS of the
// rows rows[0 .. ROWS-1] of w [*, n_vec] (zeros past the row's end).
template <int LOADS, int THREADS, int ROWS>
__device__ __forceinline__ void load_weight_rows(uint4 (&wv)[LOADS][ROWS], const uint4* __restrict__ w, int v0,
                                                 const int (&rows)[ROWS], int n_vec) {
#pragma unroll
  for (int u = 0; u < LOADS; ++u) {
    const int v = v0 + u * THREADS;
#pragma unroll
    for (int r = 0; r < ROWS; ++r)
      wv[u][r] = v < n_vec ? load_streaming(w + size_t(rows[r]) * n_vec + v) : make_uint4(0, 0, 0, 0);
  }
}

// load_weight_rows of the consecutive rows row0 .. row0 + ROWS - 1 of w [out, n_vec] (rows past
// `out` re-read the last row, whose results are never stored).
template <int LOADS, int THREADS, int ROWS>
__device__ __forceinline__ void load_weights(uint4 (&wv)[LOADS][ROWS], const uint4* __restrict__ w, int v0, int row0,
                                             int n_vec, int out) {
  int rows[ROWS];
#pragma unroll
  for (int r = 0; r < ROWS; ++r) rows[r] = min(row0 + r, out - 1);
  load_weight_rows<LOADS, THREADS>(wv, w, v0, rows, n_vec);
}

}  // namespace rooflm::gemv
