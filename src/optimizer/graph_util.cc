#include "optimizer/graph_util.h"

#include <algorithm>

namespace mlserving::optimizer {

GraphIndex::GraphIndex(const ir::Graph& graph)
    : producer_(graph.num_values(), -1), consumers_(graph.num_values()), is_output_(graph.num_values(), false) {
  const auto& nodes = graph.nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    const int index = static_cast<int>(n);
    for (ir::ValueId out : nodes[n].outputs) {
      if (out != ir::kNoValue) producer_[static_cast<size_t>(out)] = index;
    }
    for (ir::ValueId in : nodes[n].inputs) {
      if (in != ir::kNoValue) consumers_[static_cast<size_t>(in)].push_back(index);
    }
    for (const std::string& name : ir::ImplicitInputs(nodes[n])) {
      if (std::optional<ir::ValueId> id = graph.FindValue(name)) consumers_[static_cast<size_t>(*id)].push_back(index);
    }
  }
  for (ir::ValueId out : graph.outputs()) is_output_[static_cast<size_t>(out)] = true;
}

const Tensor* ConstantOf(const ir::Graph& graph, ir::ValueId v) {
  if (v == ir::kNoValue) return nullptr;
  const ir::Value& value = graph.value(v);
  return value.constant ? &*value.constant : nullptr;
}

ir::ValueId AddUniqueValue(ir::Graph& graph, const std::string& base) {
  std::string name = base;
  for (int suffix = 1; graph.FindValue(name); ++suffix) name = base + "_" + std::to_string(suffix);
  return graph.GetOrAddValue(name);
}

void SetConstant(ir::Graph& graph, ir::ValueId id, Tensor tensor) {
  ir::Value& value = graph.value(id);
  value.type.kind = ir::ValueKind::kTensor;
  value.type.dtype = tensor.dtype();
  value.type.has_dtype = true;
  value.type.has_shape = true;
  value.type.shape = tensor.shape();
  value.type.dim_names.clear();
  value.constant = std::move(tensor);
}

ir::ValueId AddConstant(ir::Graph& graph, const std::string& base, Tensor tensor) {
  const ir::ValueId id = AddUniqueValue(graph, base);
  SetConstant(graph, id, std::move(tensor));
  return id;
}

void ReplaceAllUses(ir::Graph& graph, ir::ValueId from, ir::ValueId to) {
  for (ir::Node& node : graph.nodes()) {
    std::replace(node.inputs.begin(), node.inputs.end(), from, to);
  }
}

void RemoveNodes(ir::Graph& graph, const std::vector<bool>& remove) {
  std::vector<ir::Node>& nodes = graph.nodes();
  size_t kept = 0;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (n < remove.size() && remove[n]) continue;
    if (kept != n) nodes[kept] = std::move(nodes[n]);
    ++kept;
  }
  nodes.resize(kept);
}

bool HasSubgraphs(const ir::Node& node) {
  return std::any_of(node.attributes.begin(), node.attributes.end(), [](const auto& entry) {
    return entry.second.kind == ir::Attribute::Kind::kGraph || entry.second.kind == ir::Attribute::Kind::kGraphs;
  });
}

}  // namespace mlserving::optimizer
