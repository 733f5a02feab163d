#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "tensor/tensor.h"

namespace mlserving::optimizer {

/// Who produces and who reads each value of a graph, built from a snapshot of it. Rebuild after
/// a rewrite that changes node indices.
class GraphIndex {
 public:
  explicit GraphIndex(const ir::Graph& graph);

  /// Index of the node producing `v`; -1 for graph inputs, constants and outer-scope values.
  int producer(ir::ValueId v) const { return producer_[static_cast<size_t>(v)]; }
  /// Indices of the nodes reading `v`, as an input or through a subgraph (implicit input); a
  /// node reading it twice appears twice.
  const std::vector<int>& consumers(ir::ValueId v) const { return consumers_[static_cast<size_t>(v)]; }
  bool is_graph_output(ir::ValueId v) const { return is_output_[static_cast<size_t>(v)]; }
  /// True when exactly one node input reads `v` and it is not a graph output: a pass may then
  /// fold its producer into that consumer.
  bool HasSingleUse(ir::ValueId v) const { return consumers(v).size() == 1 && !is_graph_output(v); }

 private:
  std::vector<int> producer_;
  std::vector<std::vector<int>> consumers_;
  std::vector<bool> is_output_;
};

/// The constant value of `v`, or null (also for kNoValue).
const Tensor* ConstantOf(const ir::Graph& graph, ir::ValueId v);

/// Adds a value whose name starts with `base` and is unique in `graph`.
ir::ValueId AddUniqueValue(ir::Graph& graph, const std::string& base);
/// Makes `id` a constant holding `tensor`; its type becomes the tensor's (concrete dims).
void SetConstant(ir::Graph& graph, ir::ValueId id, Tensor tensor);
/// Adds a constant value (named uniquely from `base`) holding `tensor`, with its type set.
ir::ValueId AddConstant(ir::Graph& graph, const std::string& base, Tensor tensor);

/// Makes every node input that reads `from` read `to` instead. Graph outputs keep their ids:
/// a pass that removes the producer of a graph output must make another node produce that id.
/// Subgraphs read outer values by name and are not rewritten: do not replace a value that a
/// subgraph reads (GraphIndex counts those reads as consumers).
void ReplaceAllUses(ir::Graph& graph, ir::ValueId from, ir::ValueId to);

/// Removes the nodes whose entry in `remove` is true (parallel to graph.nodes()), keeping the
/// order of the others.
void RemoveNodes(ir::Graph& graph, const std::vector<bool>& remove);

/// True when the node has a subgraph attribute (If, Loop, Scan, …): passes leave these alone.
bool HasSubgraphs(const ir::Node& node);

}  // namespace mlserving::optimizer
