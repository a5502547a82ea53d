// FP8 E4M3 (e4m3fn) encode and decode (see fp8_e4m3.h).
#include "reference/fp8_e4m3.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rooflm::ref {

uint8_t fp8_e4m3_encode(float x) {
  const uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  if (std::isnan(x)) return sign | 0x7F;
  // Every step below is exact in double but the two rounding calls (default mode: to nearest even).
  const double a = std::min(std::fabs(double(x)), double(kFp8E4m3Max));
  if (a < 0x1p-6) return sign | uint8_t(std::nearbyint(a * 512.0));  // m * 2^-9; m = 8 is the code of 2^-6
  int e = 0;
  const double m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1): a = (1 + f / 8) * 2^(e - 1)
  int exponent = e - 1;                // -6 .. 8
  int fraction = int(std::nearbyint((2 * m - 1) * 8));
  if (fraction == 8) {  // rounded up to the next power of two
    fraction = 0;
    ++exponent;
  }
  // a <= 448 = 1.75 * 2^8, so the largest code is 15 << 3 | 6 = 0x7E: never the NaN code.
  return sign | uint8_t(((exponent + 7) << 3) | fraction);
}

float fp8_e4m3_decode(uint8_t code) {
  const bool negative = (code & 0x80) != 0;
  const int exponent = (code >> 3) & 0xF, fraction = code & 0x7;
  float value = 0;
  if (exponent == 15 && fraction == 7)
    value = std::numeric_limits<float>::quiet_NaN();
  else if (exponent == 0)
    value = std::ldexp(float(fraction), -9);
  else
    value = std::ldexp(1.0f + float(fraction) / 8.0f, exponent - 7);
  return std::copysign(value, negative ? -1.0f : 1.0f);
}

const std::array<float, 256>& fp8_e4m3_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int c = 0; c < 256; ++c) t[size_t(c)] = fp8_e4m3_decode(uint8_t(c));
    return t;
  }();
  return table;
}

}  // namespace rooflm::ref
