// CPU reference of the embedding gather (see embedding.h).
#include "reference/embedding.h"

#include <algorithm>

namespace rooflm::ref {

void embedding_gather(const float* table, const int32_t* tokens, float* x, int64_t n, int64_t dim) {
  for (int64_t t = 0; t < n; ++t) std::copy_n(table + int64_t(tokens[t]) * dim, dim, x + t * dim);
}

}  // namespace rooflm::ref
