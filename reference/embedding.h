// CPU reference of the embedding gather: each token's row of the embedding table, copied.
#pragma once

#include <cstdint>

namespace rooflm::ref {

// x[t, :] = table[tokens[t], :]. Token ids must lie in [0, vocab) (the caller checks them).
//   table: [vocab, dim]; tokens: [n]; x: [n, dim]
void embedding_gather(const float* table, const int32_t* tokens, float* x, int64_t n, int64_t dim);

}  // namespace rooflm::ref
