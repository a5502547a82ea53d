// NCCL for tensor parallelism's all-reduces, opened with dlopen at run time (as NVML and CUPTI are),
// so rooflm builds and starts where NCCL is absent: the few entry points used are declared here
// from NCCL's stable C ABI (nccl.h, NCCL 2.x). The library is $ROOFLM_NCCL_LIBRARY when set, else
// libnccl.so.2 on the loader's path (the CUDA toolkit's lib64, or a pip nvidia-nccl wheel's lib/
// on LD_LIBRARY_PATH).
//
// NcclComms: one communicator per local GPU 0..N-1 (ncclCommInitAll), and the in-place fp16 sum of
// a buffer per rank, each on its own stream, in one group call (graph-capturable). With one rank it
// is the TP=1 path through NCCL (the result is the input, bit for bit). The cuda backend's NCCL
// ranks are not written yet (README, "Tensor parallelism").
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <memory>
#include <string>
#include <vector>

namespace rooflm {

class NcclComms {
 public:
  // Null with *why_not set (library missing, fewer GPUs than ranks, init failed): never throws.
  static std::unique_ptr<NcclComms> create(int ranks, std::string* why_not);
  ~NcclComms();
  NcclComms(const NcclComms&) = delete;
  NcclComms& operator=(const NcclComms&) = delete;

  int ranks() const { return int(comms_.size()); }
  int version() const { return version_; }  // e.g. 22803 for 2.28.3
  // buffers[r] (on GPU r, `count` fp16 values) becomes the element-wise sum over every rank's,
  // enqueued on streams[r]. Throws std::runtime_error naming the NCCL call and its error.
  void all_reduce_sum_f16(const std::vector<__half*>& buffers, size_t count, const std::vector<cudaStream_t>& streams);

 private:
  struct Library;
  NcclComms() = default;
  std::shared_ptr<const Library> lib_;
  std::vector<void*> comms_;  // ncclComm_t
  int version_ = 0;
};

}  // namespace rooflm
