// Dead-node elimination (EliminateDeadNodes in passes.h).
//
// A node is dead when nothing reads any of its outputs: no node input, no subgraph (by name,
// ir::ImplicitInputs) and no graph output. Nodes are visited from last to first so that a chain
// feeding only dead nodes goes in the same sweep. Inference has no side effects, so a dead node
// (control-flow nodes included) computes nothing anyone sees. Constants left unread are released
// (their tensors freed), so a weight folded into another (a transposed copy, a fused bias) is not
// kept twice.

#include <string>
#include <vector>

#include "optimizer/graph_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {

Result<int> EliminateDeadNodes(ir::Graph& graph, const PassContext& /*context*/) {
  const std::vector<ir::Node>& nodes = graph.nodes();
  // Readers of each value among the nodes still alive, plus one per graph output slot.
  std::vector<int> readers(graph.num_values(), 0);
  std::vector<std::vector<ir::ValueId>> reads(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (ir::ValueId in : nodes[n].inputs) {
      if (in != ir::kNoValue) reads[n].push_back(in);
    }
    for (const std::string& name : ir::ImplicitInputs(nodes[n])) {
      if (std::optional<ir::ValueId> id = graph.FindValue(name)) reads[n].push_back(*id);
    }
    for (ir::ValueId v : reads[n]) ++readers[static_cast<size_t>(v)];
  }
  for (ir::ValueId out : graph.outputs()) ++readers[static_cast<size_t>(out)];

  std::vector<bool> remove(nodes.size(), false);
  int removed = 0;
  for (size_t n = nodes.size(); n-- > 0;) {
    bool read = false;
    for (ir::ValueId out : nodes[n].outputs) {
      if (out != ir::kNoValue && readers[static_cast<size_t>(out)] > 0) read = true;
    }
    if (read) continue;
    remove[n] = true;
    ++removed;
    for (ir::ValueId v : reads[n]) --readers[static_cast<size_t>(v)];
  }
  RemoveNodes(graph, remove);
  // Constants nobody reads any more (folded into others, or read only by removed nodes) are
  // released: the graph keeps the value (ids are stable) without its tensor.
  for (size_t v = 0; v < readers.size(); ++v) {
    ir::Value& value = graph.value(static_cast<ir::ValueId>(v));
    if (readers[v] == 0 && value.constant) value.constant.reset();
  }
  return removed;
}

}  // namespace mlserving::optimizer
