#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"
#include "tensor/tensor.h"
#include "tensor/value.h"

namespace mlserving {
struct EvaluationContext;  // runtime/evaluator.h; kernels only pass it on to nested graphs
}  // namespace mlserving

namespace mlserving::kernels {

/// The values of one kernel invocation.
///
/// Tensors (every kernel): `inputs[i]` points to input i when it is a tensor, and is null for an
/// omitted optional input, an empty optional, or a sequence. The kernel must assign every entry
/// of `outputs` (one per node output) that it produces as a tensor.
///
/// Sequences and optionals (the kernels that take them; tensor kernels ignore these fields):
/// - `sequence_inputs` is empty or parallel to `inputs`: entry i points to input i when it is
///   a sequence, else null. An input is "none" (omitted, or an empty optional) when both
///   `inputs[i]` and `sequence_inputs[i]` are null.
/// - `sequence_outputs` is empty or parallel to `outputs`: a kernel producing a sequence as
///   output o assigns `sequence_outputs[o]` (see SetSequenceOutput) and leaves `outputs[o]`
///   undefined. An output left with neither is "none" (an empty optional).
/// - `implicit_inputs` holds the values of the enclosing graph that the node's subgraphs read
///   (If, Loop, Scan, SequenceMap), in the order of ir::ImplicitInputs(node); null entries are
///   none. Empty for nodes without subgraphs.
/// - `evaluation` is the per-call context of the enclosing graph run (deadline, limits), for
///   kernels that run subgraphs; null when a kernel is called outside an engine run.
struct KernelContext {
  std::vector<const Tensor*> inputs;
  std::vector<Tensor> outputs;
  std::vector<const TensorSequence*> sequence_inputs;
  std::vector<std::optional<TensorSequence>> sequence_outputs;
  std::vector<const Value*> implicit_inputs;
  const EvaluationContext* evaluation = nullptr;
  /// The most elements one output may hold; kernels allocate through Allocate() to honour it.
  int64_t max_tensor_elements = INT64_MAX;
  /// Threads this call may use inside the kernel (EvaluationContext::intra_op_threads); kernels
  /// that parallelise never use more, kernels that do not ignore it. Always >= 1.
  int intra_op_threads = 1;

  size_t num_inputs() const { return inputs.size(); }
  /// Null when absent or out of range.
  const Tensor* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  /// Null when input i is not a sequence (or out of range).
  const TensorSequence* sequence_input(size_t i) const {
    return i < sequence_inputs.size() ? sequence_inputs[i] : nullptr;
  }
  /// Input i as a Value: a tensor, a sequence, or none.
  Value input_value(size_t i) const {
    if (const Tensor* t = input(i)) return *t;
    if (const TensorSequence* s = sequence_input(i)) return *s;
    return Value();
  }
  /// Stores `sequence` as output i (sizing `sequence_outputs` as needed).
  void SetSequenceOutput(size_t i, TensorSequence sequence) {
    if (sequence_outputs.size() <= i) sequence_outputs.resize(i + 1);
    sequence_outputs[i] = std::move(sequence);
  }
  /// Stores `value` as output i, whatever its kind (none leaves the output unassigned).
  void SetOutputValue(size_t i, const Value& value) {
    if (outputs.size() <= i) outputs.resize(i + 1);
    if (const Tensor* t = value.tensor_if()) outputs[i] = *t;
    if (const TensorSequence* s = value.sequence_if()) SetSequenceOutput(i, *s);
  }
  /// The run's memory planner (tensor/buffer_pool.h): Allocate() reuses buffers of values
  /// released earlier from it. Null outside an engine run (plain allocation).
  BufferPool* buffer_pool = nullptr;

  /// A zero-filled output tensor, within max_tensor_elements.
  Result<Tensor> Allocate(DType dtype, Shape shape) const {
    return Tensor::Allocate(dtype, std::move(shape), max_tensor_elements, buffer_pool);
  }
  /// Like Allocate(), with the numeric buffer left uninitialised: for kernels that write every
  /// element of the output.
  Result<Tensor> AllocateUninitialized(DType dtype, Shape shape) const {
    return Tensor::AllocateUninitialized(dtype, std::move(shape), max_tensor_elements, buffer_pool);
  }
};

/// A prepared operator. Created once per model node by a KernelFactory (which validates the
/// attributes and precomputes whatever it can); Compute() is const and thread-safe so that one
/// prepared graph serves concurrent requests. Errors caused by the inputs (shape mismatch,
/// out-of-range index) are returned as kInvalidArgument with the node named by the caller.
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status Compute(KernelContext& ctx) const = 0;
};

/// Creates the kernel for `node`; fails with kUnimplemented for attribute values or dtypes it
/// does not support, or kInvalidArgument for an invalid node.
using KernelFactory = std::function<Result<std::unique_ptr<Kernel>>(const ir::Node& node)>;

/// What a factory may know about a node beyond its attributes, for kernels that prepare
/// expensive state from constant inputs once (weight packing, oneDNN weight reorders).
///
/// `constant_inputs` is empty or parallel to `node.inputs`: entry i points to the value of input
/// i when the graph holds it as a constant (an initializer or a folded constant), else null. The
/// pointers are valid during the factory call only: a kernel that keeps a constant copies the
/// Tensor (copies share the buffer) or packs it. A kernel must still accept any tensor at
/// Compute() time (the graph evaluator passes the same constant there); when the factory is
/// called without constants (an empty context, as through KernelRegistry::Find) it prepares
/// nothing and reads every input at Compute() time.
struct KernelCreateContext {
  std::vector<const Tensor*> constant_inputs;

  /// Null when input i is not a known constant.
  const Tensor* constant_input(size_t i) const { return i < constant_inputs.size() ? constant_inputs[i] : nullptr; }
};

/// A factory that also receives the node's constant inputs (KernelRegistry::RegisterWithConstants).
using KernelFactoryWithConstants =
    std::function<Result<std::unique_ptr<Kernel>>(const ir::Node& node, const KernelCreateContext& create)>;

/// A kernel defined by a function; for ops with nothing to prepare.
class FunctionKernel : public Kernel {
 public:
  explicit FunctionKernel(std::function<Status(KernelContext&)> fn) : fn_(std::move(fn)) {}
  Status Compute(KernelContext& ctx) const override { return fn_(ctx); }

 private:
  std::function<Status(KernelContext&)> fn_;
};

}  // namespace mlserving::kernels
