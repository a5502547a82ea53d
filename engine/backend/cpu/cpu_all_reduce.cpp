// CpuAllReduce: publish, sum in rank order on rank 0, copy back; three barrier phases per call.
#include "engine/backend/cpu/cpu_all_reduce.h"

#include <algorithm>

namespace rooflm {

void CpuAllReduce::sync() {
  barrier_.arrive_and_wait();
  if (failed_.load()) throw RanksAborted();
}

void CpuAllReduce::all_reduce_sum(int32_t rank, float* data, int64_t n) {
  buffers_[size_t(rank)] = data;
  sync();  // every rank's buffer is published
  if (rank == 0) {
    sum_.assign(data, data + n);
    for (size_t r = 1; r < buffers_.size(); ++r)
      for (int64_t i = 0; i < n; ++i) sum_[size_t(i)] += buffers_[r][i];
  }
  sync();  // the sum is complete
  std::copy(sum_.begin(), sum_.begin() + n, data);
  sync();  // every rank has its copy: sum_ and the buffers may be reused
}

void CpuAllReduce::abandon() {
  failed_.store(true);
  barrier_.arrive_and_drop();
}

}  // namespace rooflm
