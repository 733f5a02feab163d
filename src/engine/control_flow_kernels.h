#pragma once

#include "kernels/registry.h"

namespace mlserving::engine {

/// Registers the kernels that run subgraphs: If, Loop, Scan (opset 8 and 9+) and SequenceMap.
/// Their factories prepare a nested GraphEvaluator per subgraph once, with kernels from
/// `registry` itself (so subgraphs may nest control flow): `registry` must stay at its address
/// and outlive every kernel created from it (do not copy a registry after this call).
void RegisterControlFlowKernels(kernels::KernelRegistry& registry);

}  // namespace mlserving::engine
