#pragma once

#include <vector>

#include "ir/graph.h"

namespace mlserving::optimizer {

// Shape inference (shape_inference.cc). The pass itself, InferShapes, is declared in passes.h:
// it refines the declared types of node outputs in place.

/// The type of every value of `graph` (indexed by ValueId) as derived from the graph inputs'
/// declared types and the constants alone: the declared types of node outputs (ONNX
/// value_info, graph output types) are ignored, so a wrong declaration cannot leak into a
/// rewrite. Unnamed dynamic dims of graph inputs get private symbols (names no ONNX file uses),
/// so that dims copied from them compare equal. Passes that rely on a shape being right
/// (folding Shape, removing a no-op Reshape) use these.
std::vector<ir::ValueType> DeriveTypes(const ir::Graph& graph);

/// True for a tensor type whose shape is known in every dim.
bool IsFullyKnown(const ir::ValueType& type);

}  // namespace mlserving::optimizer
