#pragma once

#include <chrono>
#include <map>
#include <string>

#include "core/result.h"
#include "runtime/signature.h"
#include "tensor/tensor.h"
#include "tensor/value.h"

namespace mlserving {

/// Named tensors; iteration order is by name (callers order by the Signature where it matters).
using TensorMap = std::map<std::string, Tensor>;
/// Named values (tensors, sequences or none), for models with sequence or optional inputs or
/// outputs; see Evaluator::EvaluateValues().
using ValueMap = std::map<std::string, Value>;

/// Per-call settings of one evaluation.
struct EvaluationContext {
  /// Evaluation stops with kDeadlineExceeded at the next node boundary past this time.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  /// The most elements any single intermediate tensor may hold (a guard against requests
  /// that would make a model allocate without bound).
  int64_t max_tensor_elements = int64_t{1} << 31;
  /// The most iterations one Loop node may run (a guard against a huge or unbounded trip
  /// count when no deadline is set); exceeding it fails with kResourceExhausted.
  int64_t max_loop_iterations = int64_t{1} << 20;

  /// Threads one evaluation may use inside an operator (kernels that parallelise honour it).
  int intra_op_threads = 1;

  bool Expired() const { return std::chrono::steady_clock::now() > deadline; }
};

/// Anything that can be served: a model, a pipeline of models, a preprocessor.
///
/// Contract: Describe() is fixed after construction. Evaluate() is const and thread-safe: one
/// Evaluator serves concurrent requests. Evaluate() receives exactly the inputs of the
/// signature, with the declared dtypes and shapes that match the declared ones (dynamic dims
/// free); it returns every output of the signature.
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual const Signature& Describe() const = 0;
  virtual Result<TensorMap> Evaluate(const TensorMap& inputs, const EvaluationContext& ctx) const = 0;
  /// Like Evaluate(), for signatures with sequence or optional inputs or outputs
  /// (TensorSpec::sequence / optional): values may be tensors, sequences, or none (an omitted
  /// input, an empty optional). The default serves tensor-only evaluators through Evaluate()
  /// and rejects sequence inputs with kInvalidArgument.
  virtual Result<ValueMap> EvaluateValues(const ValueMap& inputs, const EvaluationContext& ctx) const;
  /// A short human-readable description of the loaded model ("onnx model titanic.onnx, opset 11").
  virtual std::string Summary() const = 0;
};

}  // namespace mlserving
