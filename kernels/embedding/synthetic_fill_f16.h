// fill_synthetic_f16: generates a synthetic weight tensor in place on the GPU, bit-identical to the
// host's synthetic_weights() (engine/model/weights.h): element `index` of tensor `tensor_id` is
//   fp16_round_nearest_even(offset + synthetic_value(seed, tensor_id, index, scale))
// with the ids of common/synthetic_init.h and, per tensor kind, the host's (scale, offset):
//   embed                    scale 1,                                     offset 0
//   projections [out, in]    scale synthetic_projection_scale(in),        offset 0
//   norm weights [dim]       scale kSyntheticNormSpread,                  offset 1
// Lives beside the embedding gather because both fill tensors from a table/formula, not from math.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace rooflm {

// out: [numel] (any shape, row-major element index)
void fill_synthetic_f16(__half* out, int64_t numel, uint64_t seed, uint64_t tensor_id, float scale, float offset,
                        cudaStream_t stream);

}  // namespace rooflm
