#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "tensor/tensor.h"

namespace mlserving::codecs {

/// Decodes a NumPy `.npy` file (format versions 1–3, C order, little-endian). Supports bool,
/// int8–int64, uint8–uint64, float16/32/64 and fixed-width strings (`<U` as UTF-32, `|S` as
/// bytes; both become string tensors, UTF-8 encoded, trailing NULs stripped). Object arrays
/// (pickles) are refused.
Result<Tensor> DecodeNpy(std::string_view bytes);

/// Encodes a tensor as a version 1.0 `.npy` file; string tensors become `<U` arrays wide enough
/// for the longest string. bfloat16 is written as float32 (NumPy has no bfloat16).
Result<std::string> EncodeNpy(const Tensor& tensor);

}  // namespace mlserving::codecs
