#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"
#include "kernels/registry.h"
#include "runtime/evaluator.h"

namespace mlserving::engine {

/// Runs an ir::Graph with prepared kernels.
///
/// Create() prepares every node once (attribute validation, weight preparation) and reports
/// every op without a kernel in one error. Run() is const and thread-safe: each call keeps its
/// own value table and frees each intermediate tensor after its last consumer ran.
class GraphEvaluator {
 public:
  static Result<std::unique_ptr<GraphEvaluator>> Create(ir::Graph graph, const kernels::KernelRegistry& registry);

  /// `inputs` are the graph inputs in graph order (undefined tensors for omitted optional
  /// ones); returns the graph outputs in graph order.
  Result<std::vector<Tensor>> Run(const std::vector<Tensor>& inputs, const EvaluationContext& ctx) const;
  /// Like Run(), with extra named values visible to the graph (a subgraph reading outer scope).
  Result<std::vector<Tensor>> RunWithScope(const std::vector<Tensor>& inputs,
                                           const std::vector<std::pair<ir::ValueId, Tensor>>& scope,
                                           const EvaluationContext& ctx) const;

  const ir::Graph& graph() const { return graph_; }

 private:
  GraphEvaluator() = default;

  ir::Graph graph_;
  std::vector<std::unique_ptr<kernels::Kernel>> kernels_;  ///< one per node, in node order
  /// For each node, the values whose last reader it is (freed once it ran).
  std::vector<std::vector<ir::ValueId>> release_after_;
};

}  // namespace mlserving::engine
