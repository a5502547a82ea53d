// RoPE inverse frequencies, computed once per model as a table (the cpu backend's reference ops and
// the GPU kernels read the same numbers): inv_freq[i] = theta^(-2i/head_dim) for i < head_dim/2,
// then reshaped by the checkpoint's rope_scaling:
//   none:   unchanged.
//   linear: inv_freq / factor (position interpolation).
//   llama3: Llama-3.1's frequency-dependent scaling: wavelengths above
//           original_max_positions / low_freq_factor are divided by `factor`, those below
//           original_max_positions / high_freq_factor are kept, and the band between is
//           interpolated (Hugging Face `_compute_llama3_parameters`).
// Dims i and i + head_dim/2 form the rotated pair (Hugging Face rotate_half); the angle of a token
// at position p is p * inv_freq[i].
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rooflm {

struct RopeScaling {
  enum class Kind { none, linear, llama3 };
  Kind kind = Kind::none;
  double factor = 1.0;
  double low_freq_factor = 1.0;         // llama3
  double high_freq_factor = 4.0;        // llama3
  int64_t original_max_positions = 0;   // llama3: original_max_position_embeddings

  bool operator==(const RopeScaling&) const = default;
};

// "none" | "linear" | "llama3" (the Hugging Face rope_type, "default" there for none).
std::string_view rope_scaling_kind_name(RopeScaling::Kind kind);

// [head_dim / 2] inverse frequencies in double (the reference computes angles in double; the GPU
// uploads them rounded to float).
std::vector<double> rope_inv_freq(int64_t head_dim, double theta, const RopeScaling& scaling);

}  // namespace rooflm
