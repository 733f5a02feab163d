#pragma once

#include "ir/graph.h"

namespace mlserving::optimizer {

/// True for a Dropout that the model runs in training mode: its training_mode input (opset 12+)
/// is present and not a constant false. Such a node is random (our kernel ignores the flag and
/// passes its input through, but the model asked for randomness), so passes neither fold nor
/// remove it. Inference-mode Dropout (no training_mode, or a constant false; the ratio does not
/// matter) is an identity on its first output.
bool IsTrainingDropout(const ir::Graph& graph, const ir::Node& node);

}  // namespace mlserving::optimizer
