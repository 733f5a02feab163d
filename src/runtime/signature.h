#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace mlserving {

/// The in-band missing value of integer tensors of nullable inputs.
inline constexpr int64_t kMissingInt64 = INT64_MIN;

/// One input or output of a model as the API shows it.
struct TensorSpec {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;  ///< -1 marks a dynamic dimension
  /// False when the model does not declare the rank: any shape is accepted and `shape` is empty.
  bool shape_known = true;
  /// Optional names of the last dimension's entries (one request key per column).
  std::vector<std::string> columns;
  /// True when the input accepts missing values (JSON null). Missing values are carried in-band:
  /// NaN for floating types, the empty string for strings, kMissingInt64 for integers.
  bool nullable = false;
  /// Optional image layout ("NHWC", "NCHW", "HWC", "CHW") when the tensor is an image.
  std::string image_layout;
  /// True for an ONNX sequence of tensors: `dtype` is the element type and `shape` the
  /// elements' shape. Only Evaluator::EvaluateValues() takes or returns sequences.
  bool sequence = false;
  /// True for an ONNX optional (of a tensor, or of a sequence when `sequence`): the value may
  /// be none. Only Evaluator::EvaluateValues() takes or returns empty optionals.
  bool optional = false;
  /// True for an ONNX map<key, value> input, carried densified as [rows, len(columns)] with one
  /// column per key a DictVectorizer reads (`columns`, int64 keys in decimal). Requests give it
  /// as an object (one row) or a list of objects: absent keys are missing values and keys
  /// outside `columns` are ignored, as DictVectorizer ignores features it was not fitted on.
  bool map = false;
};

/// What a model takes and returns.
struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;

  const TensorSpec* FindInput(const std::string& name) const;
  const TensorSpec* FindOutput(const std::string& name) const;
};

}  // namespace mlserving
