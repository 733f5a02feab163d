#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"
#include "tensor/tensor.h"

namespace mlserving::kernels {

/// The tensors of one kernel invocation. `inputs[i]` is null for an omitted optional input.
/// The kernel must assign every entry of `outputs` (one per node output).
struct KernelContext {
  std::vector<const Tensor*> inputs;
  std::vector<Tensor> outputs;
  /// The most elements one output may hold; kernels allocate through Allocate() to honour it.
  int64_t max_tensor_elements = INT64_MAX;

  size_t num_inputs() const { return inputs.size(); }
  /// Null when absent or out of range.
  const Tensor* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  Result<Tensor> Allocate(DType dtype, Shape shape) const {
    return Tensor::Allocate(dtype, std::move(shape), max_tensor_elements);
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

/// A kernel defined by a function; for ops with nothing to prepare.
class FunctionKernel : public Kernel {
 public:
  explicit FunctionKernel(std::function<Status(KernelContext&)> fn) : fn_(std::move(fn)) {}
  Status Compute(KernelContext& ctx) const override { return fn_(ctx); }

 private:
  std::function<Status(KernelContext&)> fn_;
};

}  // namespace mlserving::kernels
