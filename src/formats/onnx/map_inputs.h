#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"

namespace mlserving::formats::onnx {

/// Lowers the graph inputs of ONNX type map<K, V> to tensors: each becomes a [-1, vocabulary]
/// V tensor with one column per entry of the vocabulary of the DictVectorizer nodes reading it
/// (see the DictVectorizer kernel and TensorSpec::map). Returns each lowered input's columns
/// (int64 keys written in decimal). Fails with kUnimplemented naming the input when a map input
/// is read by anything but DictVectorizer nodes that share one vocabulary.
Result<std::map<ir::ValueId, std::vector<std::string>>> LowerMapInputs(ir::Graph& graph);

}  // namespace mlserving::formats::onnx
