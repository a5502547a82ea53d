// Programmatic dependent launch (PDL, sm_90+). A kernel launched by launch_with_pdl() may start
// before the kernel ahead of it in the stream has finished: once every block of that kernel has
// called pdl_launch_dependents() (or exited). Until its pdl_wait() returns it may only touch memory
// no earlier kernel writes or reads (the GEMVs stream weights); after it, the previous grid has
// completed and its writes are visible. Every kernel launched so calls pdl_wait() before anything
// else it does with activations, so a grid's completion implies its predecessors': at most two
// grids of a chain overlap, and only the later one's prologue with the earlier one's tail.
// Calling pdl_launch_dependents() in a kernel whose successor is launched normally has no effect,
// and a PDL launch behind a kernel that never calls it (cuBLAS) starts when that kernel ends.
// Stream capture keeps the overlap as a programmatic edge of the CUDA graph.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "kernels/common/cuda_check.h"

namespace rooflm {

__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_launch_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;");
#endif
}

// kernel<<<grid, block, smem, stream>>>(args...) with programmatic stream serialisation allowed.
template <class... Params, class... Args>
void launch_with_pdl(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                     Args&&... args) {
  cudaLaunchAttribute overlap{};
  overlap.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  overlap.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  config.attrs = &overlap;
  config.numAttrs = 1;
  ROOFLM_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...));
}

}  // namespace rooflm
