#pragma once

// Pattern-matching helpers shared by the fusion passes.

#include <optional>
#include <vector>

#include "ir/graph.h"
#include "kernels/fused_activation.h"
#include "optimizer/graph_util.h"

namespace mlserving::optimizer {

/// True when `node` is the ai.onnx op `op_type` (domain "" or "ai.onnx").
bool IsOnnxOp(const ir::Node& node, const char* op_type);

/// The value of a constant holding exactly one float32, float64, int32 or int64 element (any
/// rank); nullopt otherwise.
std::optional<double> ScalarConstant(const ir::Graph& graph, ir::ValueId v);

/// True when `value` is within a relative 1e-4 of `expected` (exported constants such as
/// 1.4142135 or 0.70710677 are rounded to float).
bool IsNear(double value, double expected);

/// For a node with exactly two inputs of which one is `v`: the other one (`v` itself for x op x).
/// kNoValue otherwise.
ir::ValueId OtherInput(const ir::Node& node, ir::ValueId v);

/// The index of the only node reading `v` when it has a single use (GraphIndex::HasSingleUse)
/// and that node is still alive; -1 otherwise.
int SingleConsumer(const GraphIndex& index, const std::vector<bool>& removed, ir::ValueId v);

/// The static dtype of `v`: its constant's, else its type in `derived` (DeriveTypes(graph), which
/// trusts the graph inputs and constants only, never a declared value_info); nullopt when unknown.
std::optional<DType> StaticDType(const ir::Graph& graph, const std::vector<ir::ValueType>& derived, ir::ValueId v);

/// True for float32 and float64, the dtypes the fused kernels compute in.
bool IsFusableFloat(std::optional<DType> dtype);

/// The activation `node` computes when it is one a fused kernel can apply (Relu, LeakyRelu,
/// Sigmoid, Tanh, Clip with constant or absent bounds, Gelu without approximation) with one
/// output; nullopt otherwise.
std::optional<kernels::FusedActivation> FusableActivation(const ir::Graph& graph, const ir::Node& node);

/// What a fusion pass matches against, built once at its start: who produces and reads each
/// value, the trusted types (DeriveTypes(); empty unless `with_types`), and the nodes rewrites
/// have removed so far (parallel to graph.nodes(); a node a rewrite consumed is never matched
/// again).
struct FusionScope {
  explicit FusionScope(const ir::Graph& graph, bool with_types = true);

  GraphIndex index;
  std::vector<ir::ValueType> types;
  std::vector<bool> removed;
  int rewrites = 0;

  /// True when none of `chain` (node indices) is removed yet.
  bool AllAlive(const std::vector<int>& chain) const;
  /// Removes the nodes marked in `removed` from `graph` and returns the number of rewrites: the
  /// pass's result. Call once, at the end of the pass.
  int Finish(ir::Graph& graph);
};

/// Replaces a matched chain of nodes (indices into graph.nodes(), `last` among them) by `fused`:
/// it takes the place of node `last` — where the chain's result was computed, so after the
/// producers of everything the chain read — and the other nodes of the chain are marked removed
/// in `scope`, which counts the rewrite. `fused` must produce what the chain's readers read
/// (usually `last`'s outputs). Returns false, changing nothing, when a node of the chain was
/// already removed by an earlier rewrite.
bool ReplaceChain(ir::Graph& graph, FusionScope& scope, const std::vector<int>& chain, int last, ir::Node fused);

}  // namespace mlserving::optimizer
