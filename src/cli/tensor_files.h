#pragma once

#include <string>

#include "core/result.h"
#include "tensor/tensor.h"

namespace mlserving::cli {

/// The whole content of `path`, or of standard input when `path` is "-".
Result<std::string> ReadAll(const std::string& path);

/// A tensor from a `.npy` file or a serialized ONNX TensorProto (`.pb`).
Result<Tensor> ReadTensorFile(const std::string& path);

/// Splits "NAME=VALUE" (both non-empty); kInvalidArgument naming `flag` otherwise.
Result<std::pair<std::string, std::string>> SplitNameValue(const std::string& arg, const std::string& flag);

}  // namespace mlserving::cli
