// Conv -> activation (Relu, LeakyRelu, Clip, Sigmoid, Tanh, Gelu) as one com.mlserving FusedConv,
// whose oneDNN kernel applies the activation as a post-op while each output block is in cache
// instead of a second pass over the whole output.

#include <string>
#include <vector>

#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {

Result<int> FuseConvActivation(ir::Graph& graph, const PassContext& context) {
  if (context.registry.Find(kernels::kMlServingDomain, "FusedConv") == nullptr) return 0;
  FusionScope scope(graph);
  std::vector<ir::Node>& nodes = graph.nodes();
  std::vector<bool>& removed = scope.removed;
  for (size_t n = 0; n < nodes.size(); ++n) {
    ir::Node& conv = nodes[n];
    if (removed[n] || !IsOnnxOp(conv, "Conv") || conv.outputs.size() != 1 || conv.inputs.size() < 2) continue;
    // The fused kernels compute in float32 and float64 only.
    if (!IsFusableFloat(StaticDType(graph, scope.types, conv.inputs[1]))) continue;
    const int a = SingleConsumer(scope.index, removed, conv.outputs[0]);
    if (a < 0) continue;
    const ir::Node& act = nodes[static_cast<size_t>(a)];
    if (act.inputs.empty() || act.inputs[0] != conv.outputs[0]) continue;
    const std::optional<kernels::FusedActivation> activation = FusableActivation(graph, act);
    if (!activation) continue;
    conv.op_type = "FusedConv";
    conv.domain = kernels::kMlServingDomain;
    conv.opset = 1;
    kernels::WriteFusedActivation(*activation, conv);
    // The fused node produces the activation's output; its readers all come after it.
    conv.outputs[0] = act.outputs[0];
    removed[static_cast<size_t>(a)] = true;
    ++scope.rewrites;
  }
  return scope.Finish(graph);
}

}  // namespace mlserving::optimizer
