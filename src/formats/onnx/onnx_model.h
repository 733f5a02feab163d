#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "runtime/evaluator.h"

namespace mlserving::formats::onnx {

/// True when `path` looks like an ONNX model: a `.onnx` file, or a file whose first bytes are
/// a protobuf ModelProto header (field 1 ir_version as a varint).
bool SniffOnnx(const std::string& path, std::string_view head);

/// Loads an ONNX model file into an Evaluator running our engine. Errors: kNotFound for a
/// missing file, kInvalidArgument for a file that is not a valid ONNX model, kUnimplemented
/// listing every unsupported operator at once.
Result<std::unique_ptr<Evaluator>> LoadOnnxFile(const std::string& path);

/// Same from the serialized bytes (external data resolved relative to `model_dir`).
Result<std::unique_ptr<Evaluator>> LoadOnnxBytes(std::string_view bytes, const std::string& display_name,
                                                 const std::string& model_dir);

}  // namespace mlserving::formats::onnx
