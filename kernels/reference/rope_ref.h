// CPU reference of rotary position embedding, Hugging Face rotate_half convention: dims i and
// i + head_dim/2 form a pair rotated by angle position * theta^(-2i/head_dim) (double arithmetic).
#pragma once

#include <cstdint>

namespace rooflm::ref {

// Rotates x in place; token t sits at positions[t].     x: [n, n_heads, head_dim]; positions: [n]
void rope(float* x, const int32_t* positions, int64_t n, int64_t n_heads, int64_t head_dim, double theta);

}  // namespace rooflm::ref
