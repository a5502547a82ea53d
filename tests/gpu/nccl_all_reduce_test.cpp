// NcclComms (kernels/comm/nccl_all_reduce.h): the TP=1 path through NCCL on one GPU (the in-place
// sum of one rank is its input, bit for bit, also inside a CUDA graph capture), and with two or more
// GPUs the fp16 sum over ranks against the CPU sum of the same fp16 inputs (tolerance 1e-3 + 1e-3
// |ref|: NCCL adds in fp16 in its own order). Skips without a GPU or without NCCL (dlopen).
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/comm/nccl_all_reduce.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

TEST(NcclAllReduce, OneRankIsTheIdentityEagerAndInAGraph) {
  ROOFLM_REQUIRE_GPU();
  std::string why;
  const std::unique_ptr<NcclComms> comms = NcclComms::create(1, &why);
  if (!comms) GTEST_SKIP() << why;
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed) + " nccl=" + std::to_string(comms->version()));
  const size_t n = 4096 * 7;
  const std::vector<__half> input = random_half(n, 4.0f, seed);
  DeviceBuffer<__half> buf(input);
  cudaStream_t stream;
  ROOFLM_CUDA_CHECK(cudaStreamCreate(&stream));
  comms->all_reduce_sum_f16({buf.get()}, n, {stream});
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<__half> got = buf.download();
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(__half_as_ushort(got[i]), __half_as_ushort(input[i])) << i;

  cudaGraph_t graph;
  cudaGraphExec_t exec;
  ROOFLM_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  comms->all_reduce_sum_f16({buf.get()}, n, {stream});
  ROOFLM_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  ROOFLM_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  ROOFLM_CUDA_CHECK(cudaGraphLaunch(exec, stream));
  ROOFLM_CUDA_CHECK(cudaStreamSynchronize(stream));
  got = buf.download();
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(__half_as_ushort(got[i]), __half_as_ushort(input[i])) << i;
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
}

TEST(NcclAllReduce, SeveralGpusSumEveryElement) {
  ROOFLM_REQUIRE_GPU();
  int devices = 0;
  cudaGetDeviceCount(&devices);
  if (devices < 2) GTEST_SKIP() << "one GPU: the multi-rank sum needs two";
  std::string why;
  const std::unique_ptr<NcclComms> comms = NcclComms::create(devices, &why);
  if (!comms) GTEST_SKIP() << why;
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed) + " ranks=" + std::to_string(devices));
  const size_t n = 4096 * 5;
  std::vector<float> ref(n, 0.0f);
  std::vector<DeviceBuffer<__half>> buffers;
  std::vector<__half*> pointers;
  std::vector<cudaStream_t> streams(static_cast<size_t>(devices));
  for (int r = 0; r < devices; ++r) {
    ROOFLM_CUDA_CHECK(cudaSetDevice(r));
    std::vector<float> as_float;
    buffers.emplace_back(random_half(n, 1.0f, seed + uint64_t(r), &as_float));
    for (size_t i = 0; i < n; ++i) ref[i] += as_float[i];
    pointers.push_back(buffers.back().get());
    ROOFLM_CUDA_CHECK(cudaStreamCreate(&streams[size_t(r)]));
  }
  comms->all_reduce_sum_f16(pointers, n, streams);
  for (int r = 0; r < devices; ++r) {
    ROOFLM_CUDA_CHECK(cudaSetDevice(r));
    ROOFLM_CUDA_CHECK(cudaStreamSynchronize(streams[size_t(r)]));
    EXPECT_TRUE(gputest::all_close(to_float(buffers[size_t(r)].download()), ref, 1e-3, 1e-3)) << "rank " << r;
    cudaStreamDestroy(streams[size_t(r)]);
  }
  ROOFLM_CUDA_CHECK(cudaSetDevice(0));
}

TEST(NcclAllReduce, MissingLibraryOrGpusSayWhy) {
  std::string why;
  EXPECT_EQ(NcclComms::create(1024, &why), nullptr);
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace rooflm
