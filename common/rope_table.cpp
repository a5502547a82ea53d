// rope_inv_freq(): the RoPE inverse-frequency table with rope scaling (formulas in rope_table.h).
// The llama3 branch follows Hugging Face transformers' `_compute_llama3_parameters`
// (modeling_rope_utils.py): wavelen > low_freq_wavelen -> f / factor; high_freq_wavelen <= wavelen <=
// low_freq_wavelen -> (1 - s) f / factor + s f with s = (old_len / wavelen - low) / (high - low);
// shorter wavelengths kept. transformers computes in fp32, this table in double.
#include "common/rope_table.h"

#include <cmath>
#include <numbers>

namespace rooflm {

std::string_view rope_scaling_kind_name(RopeScaling::Kind kind) {
  switch (kind) {
    case RopeScaling::Kind::none: return "none";
    case RopeScaling::Kind::linear: return "linear";
    case RopeScaling::Kind::llama3: return "llama3";
  }
  return "?";
}

std::vector<double> rope_inv_freq(int64_t head_dim, double theta, const RopeScaling& scaling) {
  std::vector<double> inv_freq(size_t(head_dim / 2));
  for (size_t i = 0; i < inv_freq.size(); ++i)
    inv_freq[i] = std::pow(theta, -2.0 * double(i) / double(head_dim));
  switch (scaling.kind) {
    case RopeScaling::Kind::none:
      break;
    case RopeScaling::Kind::linear:
      for (double& f : inv_freq) f /= scaling.factor;
      break;
    case RopeScaling::Kind::llama3: {
      const double old_len = double(scaling.original_max_positions);
      const double low_freq_wavelen = old_len / scaling.low_freq_factor;
      const double high_freq_wavelen = old_len / scaling.high_freq_factor;
      for (double& f : inv_freq) {
        const double wavelen = 2 * std::numbers::pi / f;
        if (wavelen > low_freq_wavelen) {
          f /= scaling.factor;  // low frequencies: interpolated
        } else if (wavelen >= high_freq_wavelen) {  // the band between: smoothed
          const double smooth = (old_len / wavelen - scaling.low_freq_factor) /
                                (scaling.high_freq_factor - scaling.low_freq_factor);
          f = (1 - smooth) * f / scaling.factor + smooth * f;
        }  // high frequencies: kept
      }
      break;
    }
  }
  return inv_freq;
}

}  // namespace rooflm
