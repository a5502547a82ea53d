// CpuAllReduce: the all-reduce of the cpu backend's tensor-parallel ranks, one thread per rank in
// one process (the shape NCCL ranks take on the cuda backend: one thread per GPU). Every rank
// calls all_reduce_sum with its buffer; each gets the element-wise sum over ranks, added in rank
// order 0..N-1 (deterministic). A rank that fails calls abandon(): the others then throw
// RanksAborted at their next collective instead of waiting for it (nothing hangs).
#pragma once

#include <atomic>
#include <barrier>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace rooflm {

struct RanksAborted : std::runtime_error {
  RanksAborted() : std::runtime_error("another tensor-parallel rank failed") {}
};

class CpuAllReduce {
 public:
  explicit CpuAllReduce(int32_t ranks) : barrier_(ranks), buffers_(size_t(ranks), nullptr) {}

  int32_t ranks() const { return int32_t(buffers_.size()); }
  // `data` [n] of rank `rank` becomes the sum over every rank's.
  void all_reduce_sum(int32_t rank, float* data, int64_t n);
  // Leaves every later collective (call once, from a rank that stops early).
  void abandon();

 private:
  void sync();

  std::barrier<> barrier_;
  std::vector<float*> buffers_;
  std::vector<float> sum_;
  std::atomic<bool> failed_{false};
};

}  // namespace rooflm
