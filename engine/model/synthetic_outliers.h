// SyntheticOutliers: the scenario's model.synthetic_outliers, planted into synthetic weights by
// engine/model/weights.h (synthetic_weights, synthetic_layer_norm).
#pragma once

#include <cstdint>

namespace rooflm {

// Planted outlier activation channels (scenario model.synthetic_outliers), as LLM.int8() and
// SmoothQuant measured them in real LLMs: a few hidden channels much larger than the rest, the same
// channels in every layer. The attn_norm and mlp_norm weights of `channels` hidden channels, chosen
// from the seed, are multiplied by `scale` (before the fp16 rounding; nothing compensates), so the
// inputs of qkv_proj and gate_up_proj carry channels ~scale x the others: naive per-tensor W8A8
// loses those inputs' small channels, which is what SmoothQuant's smoothing recovers.
// channels = 0: off (the weights are synthetic_weights(config, seed) exactly).
struct SyntheticOutliers {
  int64_t channels = 0;
  double scale = 1;
  bool enabled() const { return channels > 0; }
};
inline constexpr double kMinOutlierScale = 1;         // model.synthetic_outliers.scale in (min, max]
inline constexpr double kMaxOutlierScale = 1000;      // (x 1.1, the largest norm weight: fp16-safe)
inline constexpr int64_t kMaxOutlierChannels = 4096;  // model.synthetic_outliers.channels; also <= hidden / 2

}  // namespace rooflm
