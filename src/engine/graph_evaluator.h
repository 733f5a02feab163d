#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"
#include "kernels/registry.h"
#include "runtime/evaluator.h"
#include "tensor/value.h"

namespace mlserving::engine {

/// Runs an ir::Graph with prepared kernels.
///
/// Create() prepares every node once (attribute validation, weight preparation) and reports
/// every op without a kernel in one error. Run() is const and thread-safe: each call keeps its
/// own value table (one Value per graph value: a tensor, a sequence, or none) and frees each
/// intermediate value after its last consumer ran. A node whose subgraphs read values of this
/// graph (ir::ImplicitInputs) counts as a consumer of them and receives them as
/// KernelContext::implicit_inputs.
class GraphEvaluator {
 public:
  static Result<std::unique_ptr<GraphEvaluator>> Create(ir::Graph graph, const kernels::KernelRegistry& registry);

  /// `inputs` are the graph inputs in graph order (undefined tensors for omitted optional
  /// ones); returns the graph outputs in graph order. For graphs whose outputs are tensors: an
  /// output that is a sequence or none fails with kInvalidArgument (use RunValues()).
  Result<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs, const EvaluationContext& ctx) const;
  /// Like Run(), with extra named values visible to the graph (a subgraph reading outer scope).
  Result<std::vector<Tensor>> RunWithScope(const std::vector<Tensor>& inputs,
                                           const std::vector<std::pair<ir::ValueId, Tensor>>& scope,
                                           const EvaluationContext& ctx) const;
  /// The general form: inputs, scope values and outputs may be tensors, sequences or none
  /// (omitted inputs, empty optionals). `scope` sets values of this graph that its enclosing
  /// graphs define (a subgraph's outer-scope reads); inputs are applied after it.
  Result<std::vector<Value>> RunValues(std::vector<Value> inputs,
                                       const std::vector<std::pair<ir::ValueId, Value>>& scope,
                                       const EvaluationContext& ctx) const;

  const ir::Graph& graph() const { return graph_; }

 private:
  GraphEvaluator() = default;

  ir::Graph graph_;
  std::vector<std::unique_ptr<kernels::Kernel>> kernels_;  ///< one per node, in node order
  /// For each node, the values of this graph its subgraphs read, in ir::ImplicitInputs order.
  std::vector<std::vector<ir::ValueId>> implicit_inputs_;
  /// For each node, the values whose last reader it is (freed once it ran).
  std::vector<std::vector<ir::ValueId>> release_after_;
};

}  // namespace mlserving::engine
