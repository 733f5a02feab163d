// Identity elimination (EliminateIdentities in passes.h).
//
// Removes the nodes that pass their first input through unchanged: Identity, inference-mode
// Dropout (whose mask output nobody reads), Cast to the dtype the input already has, and
// Reshape/Flatten/Squeeze/Unsqueeze whose output shape provably equals the input shape (same
// known sizes or the same symbols, from DeriveTypes so that a wrong declaration cannot make us
// drop a real reshape). Readers of the output are rewired to the input.
//
// A removed node's output that is a graph output keeps its id: when the input is produced by a
// node (not a graph input, constant or another graph output) and no subgraph reads the input by
// name, that producer is made to produce the output id instead; otherwise the node stays.

#include <set>
#include <string>
#include <vector>

#include "kernels/reference/kernel_util.h"
#include "optimizer/graph_util.h"
#include "optimizer/inference_mode.h"
#include "optimizer/passes.h"
#include "optimizer/shape_inference.h"

namespace mlserving::optimizer {
namespace {

/// True when `a` and `b` are provably the same shape.
bool SameShape(const ir::ValueType& a, const ir::ValueType& b) {
  if (!a.has_shape || !b.has_shape || a.shape.size() != b.shape.size()) return false;
  for (size_t i = 0; i < a.shape.size(); ++i) {
    if (a.shape[i] >= 0 || b.shape[i] >= 0) {
      if (a.shape[i] != b.shape[i]) return false;
      continue;
    }
    const std::string& na = i < a.dim_names.size() ? a.dim_names[i] : std::string();
    const std::string& nb = i < b.dim_names.size() ? b.dim_names[i] : std::string();
    if (na.empty() || na != nb) return false;
  }
  return true;
}

/// True when `node` returns its first input unchanged as its first output (and computes no other
/// output anyone reads).
bool IsPassThrough(const ir::Graph& graph, const ir::Node& node, const GraphIndex& index,
                   const std::vector<ir::ValueType>& types) {
  if (!node.domain.empty() || node.inputs.empty() || node.inputs[0] == ir::kNoValue || node.outputs.empty() ||
      node.outputs[0] == ir::kNoValue) {
    return false;
  }
  const ir::ValueType& in = types[static_cast<size_t>(node.inputs[0])];
  const ir::ValueType& out = types[static_cast<size_t>(node.outputs[0])];
  const std::string& op = node.op_type;
  if (op == "Identity") return node.outputs.size() == 1;
  if (op == "Dropout") {
    for (size_t o = 1; o < node.outputs.size(); ++o) {
      const ir::ValueId mask = node.outputs[o];
      if (mask != ir::kNoValue && (!index.consumers(mask).empty() || index.is_graph_output(mask))) return false;
    }
    return !IsTrainingDropout(graph, node);
  }
  if (node.outputs.size() != 1 || in.kind != ir::ValueKind::kTensor) return false;
  if (op == "Cast") {
    const std::optional<DType> to = kernels::reference::DTypeFromOnnxCode(node.GetInt("to", -1));
    return node.Has("to") && in.has_dtype && to && *to == in.dtype;
  }
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze") return SameShape(in, out);
  return false;
}

}  // namespace

Result<int> EliminateIdentities(ir::Graph& graph, const PassContext& /*context*/) {
  const std::vector<ir::ValueType> types = DeriveTypes(graph);
  const GraphIndex index(graph);
  std::set<ir::ValueId> graph_io(graph.inputs().begin(), graph.inputs().end());
  graph_io.insert(graph.outputs().begin(), graph.outputs().end());
  // Values that subgraphs read by name: they cannot be renamed or replaced.
  std::set<ir::ValueId> read_by_subgraph;
  for (const ir::Node& node : graph.nodes()) {
    for (const std::string& name : ir::ImplicitInputs(node)) {
      if (std::optional<ir::ValueId> id = graph.FindValue(name)) read_by_subgraph.insert(*id);
    }
  }
  std::vector<int> producer = graph.ProducerIndex();

  std::vector<bool> remove(graph.nodes().size(), false);
  int removed = 0;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const ir::Node& node = graph.nodes()[n];
    if (!IsPassThrough(graph, node, index, types)) continue;
    const ir::ValueId in = node.inputs[0];
    const ir::ValueId out = node.outputs[0];
    if (read_by_subgraph.count(out)) continue;
    if (!index.is_graph_output(out)) {
      ReplaceAllUses(graph, out, in);
    } else {
      // Move the output id onto the input's producer.
      const int p = producer[static_cast<size_t>(in)];
      if (p < 0 || graph_io.count(in) || read_by_subgraph.count(in)) continue;
      ir::Node& source = graph.nodes()[static_cast<size_t>(p)];
      for (ir::ValueId& o : source.outputs) {
        if (o == in) o = out;
      }
      ReplaceAllUses(graph, in, out);
      producer[static_cast<size_t>(out)] = p;
      producer[static_cast<size_t>(in)] = -1;
    }
    remove[n] = true;
    ++removed;
  }
  RemoveNodes(graph, remove);
  return removed;
}

}  // namespace mlserving::optimizer
