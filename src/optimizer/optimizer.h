#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"
#include "kernels/registry.h"

namespace mlserving::optimizer {

/// How much the optimizer rewrites a graph before it is prepared for serving.
/// kNone: nothing. kBasic: rewrites that only remove work (constant folding, dead-node
/// elimination, identity removal). kAll: also fusions into fewer, bigger kernels.
enum class OptimizationLevel { kNone = 0, kBasic = 1, kAll = 2 };

/// Parses "none" | "basic" | "all" (the MLSERVING_GRAPH_OPTIMIZATION environment variable and
/// the --optimize flag); fails naming the accepted values.
Result<OptimizationLevel> ParseOptimizationLevel(const std::string& text);

/// The environment variable that sets the level for every model a process loads.
inline constexpr const char* kOptimizationLevelEnv = "MLSERVING_GRAPH_OPTIMIZATION";

/// The level MLSERVING_GRAPH_OPTIMIZATION asks for; kAll when it is unset or empty. An invalid
/// value fails (kInvalidArgument naming the variable and the accepted values): a typo must not
/// silently change how models run.
Result<OptimizationLevel> OptimizationLevelFromEnvironment();

/// What the optimizer did: for each pass that ran, its name and how many rewrites it made.
struct OptimizationReport {
  std::vector<std::pair<std::string, int>> rewrites;
  /// "constant_folding=3 conv_batchnorm=2" for the load log; "" when nothing changed.
  std::string Summary() const;
};

/// Runs the passes of `level` over `graph` in their fixed order (passes.cc), in place. The
/// graph's inputs and outputs (ids, names, types) are kept. Subgraphs of control-flow nodes (If
/// branches, Loop/Scan bodies, recursively) are optimized first, each replaced by an optimized
/// copy with the same inputs and outputs; passes never rename or remove a value a subgraph reads
/// by name, and do not rely on the declared types of a subgraph's inputs (the engine does not
/// check them). The report's counts include the rewrites made in subgraphs.
Result<OptimizationReport> Optimize(ir::Graph& graph, const kernels::KernelRegistry& registry, OptimizationLevel level);

}  // namespace mlserving::optimizer
