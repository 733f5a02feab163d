#pragma once

#include <cstdint>
#include <cstring>

#include "tensor/dtype.h"

namespace mlserving {

/// IEEE 754 binary16 <-> float32, round-to-nearest-even, NaN and infinities preserved.
float HalfToFloat(uint16_t bits);
uint16_t FloatToHalf(float value);

/// bfloat16 is the upper half of a float32; conversion rounds to nearest even.
inline float BFloat16ToFloat(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
uint16_t FloatToBFloat16(float value);

}  // namespace mlserving
