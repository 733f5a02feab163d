#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/tensor.h"

namespace mlserving {

/// An ONNX sequence: an ordered list of tensors of one element type (`dtype`). The elements may
/// have different shapes. Copying shares the element buffers, as copying a Tensor does.
struct TensorSequence {
  DType dtype = DType::kFloat32;
  std::vector<Tensor> tensors;

  size_t size() const { return tensors.size(); }
};

/// What a graph value holds at run time: nothing, a tensor, or a sequence of tensors.
///
/// "Nothing" (is_none()) stands both for an omitted optional input and for an empty ONNX
/// optional; an optional that holds an element is carried as the element itself, so a kernel
/// that takes a tensor needs no unwrapping. A Value built from an undefined Tensor is none.
class Value {
 public:
  Value() = default;
  Value(Tensor tensor) {  // NOLINT(google-explicit-constructor): a tensor is a value
    if (tensor.defined()) v_ = std::move(tensor);
  }
  Value(TensorSequence sequence) : v_(std::move(sequence)) {}  // NOLINT(google-explicit-constructor)

  bool is_none() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(v_); }
  bool is_sequence() const { return std::holds_alternative<TensorSequence>(v_); }

  /// Preconditions: is_tensor() / is_sequence() respectively.
  const Tensor& tensor() const {
    assert(is_tensor());
    return std::get<Tensor>(v_);
  }
  const TensorSequence& sequence() const {
    assert(is_sequence());
    return std::get<TensorSequence>(v_);
  }
  /// Null when the value is not of that kind.
  const Tensor* tensor_if() const { return std::get_if<Tensor>(&v_); }
  const TensorSequence* sequence_if() const { return std::get_if<TensorSequence>(&v_); }

  /// "none", "float32[2,3]" or "sequence<float32>[3]" for error messages.
  std::string DebugString() const {
    if (is_tensor()) return tensor().DebugString();
    if (is_sequence()) {
      return "sequence<" + std::string(DTypeName(sequence().dtype)) + ">[" + std::to_string(sequence().size()) + "]";
    }
    return "none";
  }

 private:
  std::variant<std::monostate, Tensor, TensorSequence> v_;
};

}  // namespace mlserving
