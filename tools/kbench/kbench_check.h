// kbench checks every case against the CPU reference before it times it (llm.c's "all results
// match, starting benchmarks"): time_launches() launches the kernel once on rotation 0's inputs,
// then calls the case's Check, which copies the outputs back and compares every element with the
// reference op (reference/) under the tolerance the GPU tests hold that kernel to
// (reference/all_close.h). A case that does not match is not timed: it is reported as an error in
// the output and the JSON (error_message), and rooflm_kbench exits 1 after the run. Each timed case
// carries the counters checked (elements compared) and max_abs_err.
#pragma once

#include <cuda_fp16.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/thread_pool.h"
#include "reference/all_close.h"

namespace rooflm::kbench {

using Check = std::function<ref::CloseReport()>;

// Device -> host copies for the checks (synchronous; never inside a timed region).
std::vector<float> download_f16(const __half* device, size_t count);
std::vector<float> download_f32(const float* device, size_t count);
template <typename T>
std::vector<T> download(const T* device, size_t count);

// The thread pool the references run on (every host core): the references of the large prefill
// GEMMs are minutes long on one core.
ThreadPool* reference_pool();

// Cases checked and cases that did not match, over the whole run.
struct CheckTally {
  int checked = 0;
  int mismatched = 0;
};
const CheckTally& check_tally();
void count_check(bool matched);

}  // namespace rooflm::kbench
