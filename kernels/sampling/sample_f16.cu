// Seeded GPU sampler (see sample_f16.h).
//   1. make_keys: key = (row << 16) | (0xffff - order16(logit)), value = index in the row.
//      order16 maps fp16 bits to an unsigned order (-0 folded onto +0, as the host compares them
//      equal); subtracting it from 0xffff makes an ascending sort put the largest logit first.
//   2. cub::DeviceRadixSort::SortPairs over all rows (LSD radix sort is stable, so equal logits
//      keep ascending index order: the host's tie rule).
//   3. pick_kernel: one block per row walks the sorted candidates with block-wide scans in double.
#include "kernels/sampling/sample_f16.h"

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_radix_sort.cuh>

#include <string>

#include "common/error.h"
#include "common/synthetic_init.h"  // splitmix64, the host sampler's generator
#include "kernels/common/cuda_check.h"

namespace rooflm {
namespace {

constexpr int kThreads = 256;
constexpr int kItems = 8;  // consecutive candidates per thread per scan tile (blocked arrangement)
constexpr int kTile = kThreads * kItems;
constexpr size_t kAlign = 256;

size_t align_up(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

__device__ __forceinline__ uint32_t order16(uint16_t bits) {
  if (bits == 0x8000u) bits = 0;  // -0 == +0
  return (bits & 0x8000u) ? uint32_t(~bits & 0xffffu) : uint32_t(bits | 0x8000u);
}

__device__ __forceinline__ float logit_of_key(uint32_t key) {
  const uint32_t ordered = 0xffffu - (key & 0xffffu);
  const uint16_t bits = (ordered & 0x8000u) ? uint16_t(ordered & 0x7fffu) : uint16_t(~ordered & 0xffffu);
  return __half2float(__ushort_as_half(bits));
}

__global__ void make_keys_kernel(const __half* __restrict__ logits,  // [n_rows, vocab]
                                 uint32_t* __restrict__ keys,        // [n_rows * vocab]
                                 int32_t* __restrict__ indices,      // [n_rows * vocab]
                                 int64_t total, int vocab) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= total) return;
  const uint32_t row = uint32_t(i / vocab);
  keys[i] = (row << 16) | (0xffffu - order16(__half_as_ushort(logits[i])));
  indices[i] = int32_t(i % vocab);
}

// Per-row walk over the sorted candidates [0, count): probabilities p_i computed on the fly.
struct RowWalk {
  const uint32_t* keys;  // [vocab] sorted keys of this row
  double max_logit;
  double temperature;

  __device__ double prob(int i) const { return exp((double(logit_of_key(keys[i])) - max_logit) / temperature); }
};

using BlockScan = cub::BlockScan<double, kThreads>;
using BlockReduce = cub::BlockReduce<double, kThreads>;

struct SharedState {
  union {
    typename BlockScan::TempStorage scan;
    typename BlockReduce::TempStorage reduce;
  } temp;
  int found;
  double broadcast;
};

// Sum of scale(p_i) over [0, count), the same value in every thread.
template <class Scale>
__device__ double block_total(SharedState& s, const RowWalk& walk, int count, Scale scale) {
  double local = 0.0;
  for (int i = threadIdx.x; i < count; i += kThreads) local += scale(walk.prob(i));
  const double total = BlockReduce(s.temp.reduce).Sum(local);
  if (threadIdx.x == 0) s.broadcast = total;
  __syncthreads();
  const double result = s.broadcast;
  __syncthreads();
  return result;
}

// First i in [0, count) whose inclusive prefix sum of scale(p_j) satisfies reached(prefix), or
// count when none does; the same value in every thread.
template <class Scale, class Reached>
__device__ int first_reaching(SharedState& s, const RowWalk& walk, int count, Scale scale, Reached reached) {
  if (threadIdx.x == 0) s.found = count;
  __syncthreads();
  double carry = 0.0;
  for (int base = 0; base < count; base += kTile) {
    double items[kItems];
#pragma unroll
    for (int k = 0; k < kItems; ++k) {
      const int i = base + threadIdx.x * kItems + k;
      items[k] = i < count ? scale(walk.prob(i)) : 0.0;
    }
    double tile_total;
    BlockScan(s.temp.scan).InclusiveSum(items, items, tile_total);
#pragma unroll
    for (int k = 0; k < kItems; ++k) {
      const int i = base + threadIdx.x * kItems + k;
      if (i < count && reached(carry + items[k])) {
        atomicMin(&s.found, i);
        break;
      }
    }
    carry += tile_total;
    __syncthreads();
    if (s.found < count) break;  // every thread reads the same value after the barrier
  }
  const int found = s.found;
  __syncthreads();
  return found;
}

__global__ void __launch_bounds__(kThreads)
    pick_kernel(const uint32_t* __restrict__ sorted_keys,    // [n_rows, vocab]
                const int32_t* __restrict__ sorted_indices,  // [n_rows, vocab]
                const SamplingRow* __restrict__ rows,        // [n_rows]
                int32_t* __restrict__ tokens,                // [n_rows]
                int vocab) {
  __shared__ SharedState s;
  const SamplingRow p = rows[blockIdx.x];
  const uint32_t* keys = sorted_keys + size_t(blockIdx.x) * vocab;
  const int32_t* order = sorted_indices + size_t(blockIdx.x) * vocab;
  if (p.temperature <= 0.0f || p.top_k == 1) {  // greedy: the first candidate
    if (threadIdx.x == 0) tokens[blockIdx.x] = order[0];
    return;
  }
  int keep = (p.top_k > 0 && p.top_k < vocab) ? p.top_k : vocab;
  const RowWalk walk{keys, double(logit_of_key(keys[0])), double(p.temperature)};
  const auto identity = [](double v) { return v; };
  double total = block_total(s, walk, keep, identity);
  if (p.top_p < 1.0f) {
    const double top_p = p.top_p;
    const int last = first_reaching(s, walk, keep, [total](double v) { return v / total; },
                                    [top_p](double mass) { return mass >= top_p; });
    keep = last < keep ? last + 1 : keep;
    total = block_total(s, walk, keep, identity);
  }
  const uint64_t bits = splitmix64(p.seed ^ splitmix64(uint64_t(p.position)));
  const double u = double(bits >> 11) * 0x1.0p-53 * total;
  const int chosen = first_reaching(s, walk, keep, identity, [u](double acc) { return u < acc; });
  if (threadIdx.x == 0) tokens[blockIdx.x] = order[chosen < keep ? chosen : keep - 1];
}

struct Layout {
  size_t keys_in, keys_out, indices_in, indices_out, cub_temp, total;
  int end_bit;
};

Layout layout(int64_t n_rows, int64_t vocab) {
  const int64_t count = n_rows * vocab;
  Layout l{};
  l.end_bit = 16;  // logit key bits, then as many bits as row indices need
  while ((int64_t(1) << (l.end_bit - 16)) < n_rows) ++l.end_bit;
  size_t cub_bytes = 0;
  ROOFLM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, cub_bytes, static_cast<const uint32_t*>(nullptr),
                                                    static_cast<uint32_t*>(nullptr),
                                                    static_cast<const int32_t*>(nullptr),
                                                    static_cast<int32_t*>(nullptr), count, 0, l.end_bit));
  const size_t keys_bytes = align_up(size_t(count) * sizeof(uint32_t));
  const size_t indices_bytes = align_up(size_t(count) * sizeof(int32_t));
  l.keys_in = 0;
  l.keys_out = l.keys_in + keys_bytes;
  l.indices_in = l.keys_out + keys_bytes;
  l.indices_out = l.indices_in + indices_bytes;
  l.cub_temp = l.indices_out + indices_bytes;
  l.total = l.cub_temp + align_up(cub_bytes);
  return l;
}

}  // namespace

bool sample_f16_supported(int64_t n_rows, int64_t vocab) {
  return n_rows >= 1 && n_rows <= 65536 && vocab >= 1 && vocab < (int64_t(1) << 31) / n_rows;
}

size_t sample_f16_scratch_bytes(int64_t n_rows, int64_t vocab) {
  ROOFLM_CHECK(sample_f16_supported(n_rows, vocab),
               "unsupported sample shape n_rows=" + std::to_string(n_rows) + " vocab=" + std::to_string(vocab));
  return layout(n_rows, vocab).total;
}

void sample_f16(const __half* logits, const SamplingRow* rows, int32_t* tokens, int64_t n_rows, int64_t vocab,
                void* scratch, size_t scratch_bytes, cudaStream_t stream) {
  ROOFLM_CHECK(sample_f16_supported(n_rows, vocab),
               "unsupported sample shape n_rows=" + std::to_string(n_rows) + " vocab=" + std::to_string(vocab));
  const Layout l = layout(n_rows, vocab);
  ROOFLM_CHECK(scratch_bytes >= l.total, "sample scratch " + std::to_string(scratch_bytes) + " < " +
                                             std::to_string(l.total) + " bytes");
  auto* base = static_cast<char*>(scratch);
  auto* keys_in = reinterpret_cast<uint32_t*>(base + l.keys_in);
  auto* keys_out = reinterpret_cast<uint32_t*>(base + l.keys_out);
  auto* indices_in = reinterpret_cast<int32_t*>(base + l.indices_in);
  auto* indices_out = reinterpret_cast<int32_t*>(base + l.indices_out);
  const int64_t count = n_rows * vocab;

  make_keys_kernel<<<unsigned((count + kThreads - 1) / kThreads), kThreads, 0, stream>>>(logits, keys_in, indices_in,
                                                                                        count, int(vocab));
  ROOFLM_CUDA_CHECK(cudaGetLastError());
  size_t cub_bytes = l.total - l.cub_temp;
  ROOFLM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(base + l.cub_temp, cub_bytes, keys_in, keys_out, indices_in,
                                                    indices_out, count, 0, l.end_bit, stream));
  pick_kernel<<<unsigned(n_rows), kThreads, 0, stream>>>(keys_out, indices_out, rows, tokens, int(vocab));
  ROOFLM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace rooflm
