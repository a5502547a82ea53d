// Test inputs and comparisons shared by the reference-op tests: seeded uniform vectors and a
// bit-for-bit comparison of float vectors.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace rooflm::test {

// n values ~ U(-scale, scale) from `seed`.
inline std::vector<float> uniform(size_t n, float scale, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace rooflm::test
