#pragma once

// The activation a fused op (FusedConv, FusedMatMul of the com.mlserving domain) applies to its
// result, as the graph optimizer writes it and the kernels read it. Attributes follow ONNX
// Runtime's com.microsoft FusedConv: `activation` names the ONNX op ("Relu", "LeakyRelu",
// "Clip", "Sigmoid", "Tanh", "Gelu"), `activation_params` holds its parameters (LeakyRelu:
// [alpha]; Clip: [min, max]; the others: none). No `activation` attribute means none.

#include <optional>
#include <string>

#include "core/result.h"
#include "ir/graph.h"
#include "tensor/tensor.h"

namespace mlserving::kernels {

/// The domain of the ops the graph optimizer introduces; they never appear in model files.
inline constexpr const char* kMlServingDomain = "com.mlserving";

/// An elementwise activation y = f(x).
struct FusedActivation {
  enum class Kind { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kTanh, kGelu };
  Kind kind = Kind::kNone;
  float alpha = 0;  ///< LeakyRelu: the negative slope; Clip: the lower bound
  float beta = 0;   ///< Clip: the upper bound

  /// The ONNX op name ("" for kNone).
  std::string OpType() const;
};

/// Reads `activation` / `activation_params`; kInvalidArgument naming the node for an unknown
/// activation or a wrong parameter count.
Result<FusedActivation> ReadFusedActivation(const ir::Node& node);

/// Writes `activation` (and `activation_params` when it has some) onto `node`; nothing for kNone.
void WriteFusedActivation(const FusedActivation& activation, ir::Node& node);

/// Applies `activation` to every element of `tensor` in place (the reference path; `tensor` must
/// own its buffer, as a kernel's fresh output does). float32 and float64; kInvalidArgument for
/// other dtypes when the activation is not kNone.
Status ApplyFusedActivation(const FusedActivation& activation, Tensor& tensor);

}  // namespace mlserving::kernels
