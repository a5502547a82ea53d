// FP8 E4M3 on the host: the "e4m3fn" format of the OCP 8-bit floating point spec (what Hopper's
// tensor cores and cuBLASLt call CUDA_R_8F_E4M3). 1 sign, 4 exponent (bias 7), 3 mantissa bits;
// no infinities; NaN is S.1111.111 (0x7F, 0xFF); the largest finite value is S.1111.110 = 448;
// subnormals are m * 2^-9 (m = 1..7), the smallest normal 2^-6.
//
// encode: round to nearest, ties to even; values beyond 448 (and +-inf) saturate to +-448 (the
// __NV_SATFINITE conversion); NaN stays NaN with its sign; -0 stays -0. decode(encode(decode(c)))
// is the identity on all 256 codes.
#pragma once

#include <array>
#include <cstdint>

namespace rooflm::ref {

inline constexpr float kFp8E4m3Max = 448.0f;

uint8_t fp8_e4m3_encode(float x);
float fp8_e4m3_decode(uint8_t code);

// decode() of every code, indexed by the code (for loops that decode many values).
const std::array<float, 256>& fp8_e4m3_table();

}  // namespace rooflm::ref
