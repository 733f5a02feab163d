#pragma once

#include <string>

#include "core/result.h"
#include "ir/graph.h"
#include "kernels/registry.h"

namespace mlserving::optimizer {

/// What a pass may use besides the graph. `registry` is the one the graph will run with:
/// constant folding evaluates nodes through it, fusions check the fused op has a kernel.
struct PassContext {
  const kernels::KernelRegistry& registry;
};

/// One graph rewrite. Contract for every pass:
/// - the rewritten graph computes the same graph outputs (within the kernels' tolerance) for
///   every input the original accepted, with the same graph inputs and outputs (ids and names);
/// - it leaves nodes in a valid topological order;
/// - it never fails on a graph it does not understand: it leaves that part alone. An error
///   return means an internal inconsistency and aborts the load.
/// `run` returns the number of rewrites it made (for the load log and tests).
struct Pass {
  const char* name;
  /// The least OptimizationLevel (optimizer.h) that runs this pass.
  int level;
  Result<int> (*run)(ir::Graph& graph, const PassContext& context);
};

}  // namespace mlserving::optimizer
