// seeded_token_streams (token_streams.h).
#include "engine/runtime/token_streams.h"

#include "common/error.h"
#include "common/synthetic_init.h"

namespace rooflm {

std::vector<std::vector<int32_t>> seeded_token_streams(uint64_t seed, int64_t sequences, int64_t length,
                                                       int64_t vocab) {
  ROOFLM_CHECK(vocab > 0 && sequences >= 0 && length >= 0, "streams of a vocabulary of at least one token");
  std::vector<std::vector<int32_t>> streams(static_cast<size_t>(sequences),
                                            std::vector<int32_t>(static_cast<size_t>(length)));
  for (int64_t s = 0; s < sequences; ++s) {
    const uint64_t key = splitmix64(seed ^ uint64_t(s));
    for (int64_t i = 0; i < length; ++i)
      streams[size_t(s)][size_t(i)] = int32_t(splitmix64(key ^ uint64_t(i)) % uint64_t(vocab));
  }
  return streams;
}

}  // namespace rooflm
