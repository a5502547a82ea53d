// Host copies, the reference thread pool and the tally of kbench's checks (see kbench_check.h).
#include "tools/kbench/kbench_check.h"

#include <cuda_runtime.h>

#include "kernels/common/cuda_check.h"

namespace rooflm::kbench {
namespace {
CheckTally g_tally;
}  // namespace

template <typename T>
std::vector<T> download(const T* device, size_t count) {
  std::vector<T> host(count);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  ROOFLM_CUDA_CHECK(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}
template std::vector<__half> download(const __half*, size_t);
template std::vector<float> download(const float*, size_t);
template std::vector<int32_t> download(const int32_t*, size_t);
template std::vector<uint8_t> download(const uint8_t*, size_t);

std::vector<float> download_f16(const __half* device, size_t count) {
  const std::vector<__half> h = download(device, count);
  std::vector<float> f(count);
  for (size_t i = 0; i < count; ++i) f[i] = __half2float(h[i]);
  return f;
}

std::vector<float> download_f32(const float* device, size_t count) { return download(device, count); }

ThreadPool* reference_pool() {
  static ThreadPool pool(0);
  return &pool;
}

const CheckTally& check_tally() { return g_tally; }

void count_check(bool matched) {
  ++g_tally.checked;
  if (!matched) ++g_tally.mismatched;
}

}  // namespace rooflm::kbench
