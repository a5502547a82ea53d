// CPU reference of rotary position embedding, Hugging Face rotate_half convention: dims i and
// i + head_dim/2 form a pair rotated by angle = position * inv_freq[i] (computed in double, as
// common/rope_table.h's rope_inv_freq() returns the table, rope scaling included); cos and sin are
// rounded to fp32 and the rotation is done in fp32.
#pragma once

#include <cstdint>

namespace rooflm::ref {

// Rotates x in place; token t sits at positions[t].
//   x: [n, n_heads, head_dim]; positions: [n]; inv_freq: [head_dim / 2]
void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim,
          const double* inv_freq);

}  // namespace rooflm::ref
