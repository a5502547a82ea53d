// Seeded token streams: the token ids the accuracy evaluation (accuracy_eval.h) and the SmoothQuant
// calibration (quant_calibration.h) feed. Stream s, token i = splitmix64(splitmix64(seed ^ s) ^ i)
// mod vocab (common/synthetic_init.h's splitmix64), so the same ids come out on every machine.
#pragma once

#include <cstdint>
#include <vector>

namespace rooflm {

// [sequences][length] ids in [0, vocab).
std::vector<std::vector<int32_t>> seeded_token_streams(uint64_t seed, int64_t sequences, int64_t length, int64_t vocab);

}  // namespace rooflm
