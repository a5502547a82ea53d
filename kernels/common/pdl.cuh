// Programmatic dependent launch (PDL, sm_90+). A kernel launched with
// cudaLaunchAttributeProgrammaticStreamSerialization may start before the kernel ahead of it in
// the stream has finished: once every block of that kernel has called pdl_launch_dependents() (or
// exited). Until its pdl_wait() returns it may only touch memory no earlier kernel writes (the GEMV
// streams weights); after it, the previous grid has completed and its writes are visible.
// Calling pdl_launch_dependents() in a kernel whose successor is launched normally has no effect.
#pragma once

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

}  // namespace rooflm
