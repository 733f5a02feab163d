#pragma once

#include <cstddef>
#include <vector>

namespace mlserving::kernels {

/// A kernel that can hold some of its constant inputs itself, in the form it computes with (a
/// oneDNN kernel: the weights packed into the primitive's layout), so that the graph evaluator
/// can drop the graph's plain copy and the model keeps each weight once.
///
/// The protocol, run by engine::GraphEvaluator::Create once per kernel, right after the factory
/// call and before any Compute():
/// 1. OwnableConstantInputs() names the inputs the kernel offers to hold: indices of inputs it
///    received as constants in KernelCreateContext (others are ignored).
/// 2. The evaluator calls TakeOverConstantInputs() with the offered inputs it hands over, only
///    when every reader of that constant took it and nothing else can read it (not a graph
///    output, not read by a subgraph, not a graph input with a default), and then releases the
///    graph's tensor. It calls it with nothing (or not at all) otherwise, and the kernel behaves
///    as any kernel: it reads the input at Compute() time.
/// 3. From then on Compute() receives null for a handed-over input and the kernel never needs
///    the released plain tensor again: it derives every further layout from its own copy, and
///    rebuilds a plain tensor from it for the rare call its fallback serves. A non-null tensor
///    for such an input is a run-time value (an override), used as given.
///
/// The kernel keeps its copy for its lifetime; Compute() stays const and thread-safe (state it
/// prepares lazily is guarded by the kernel).
class ConstantInputOwner {
 public:
  virtual ~ConstantInputOwner() = default;
  virtual std::vector<size_t> OwnableConstantInputs() const = 0;
  virtual void TakeOverConstantInputs(const std::vector<size_t>& inputs) = 0;
};

}  // namespace mlserving::kernels
