// The LayerNorm that torch exports decomposed at opset <= 16:
//   mean = ReduceMean(x, axes=[-1]); d = Sub(x, mean)
//   var = ReduceMean(Pow(d, 2) | Mul(d, d), axes=[-1]); std = Sqrt(Add(var, eps))
//   y = Add(Mul(Div(d, std), gamma), beta)            (the Mul and the Add optional)
// as one LayerNormalization(x, gamma, beta, axis=-1, epsilon=eps). ReduceMean's axes come from
// the attribute before opset 18 and from the constant second input since. Float32 only: the
// fused op computes its statistics in float32 (stash_type 1), like the decomposed graph.
//
// gamma and beta must be constants of N elements. When x's last dim is known it must be N; when
// shape inference could not tell (dynamic reshapes upstream, as in every torch transformer
// export) the fusion assumes it is, as ONNX Runtime's does: the one input it then rejects that
// the decomposed graph accepts is a last dim of 1 (normalising single elements, whose result
// is beta broadcast to N), which no LayerNorm model feeds.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "ir/make_attribute.h"
#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {
namespace {

/// True when `node` is a ReduceMean with keepdims over the last axis alone of a `rank`-D input
/// (rank -1 when unknown: only axes = [-1] qualifies then).
bool ReducesLastAxis(const ir::Graph& graph, const ir::Node& node, int64_t rank) {
  if (!IsOnnxOp(node, "ReduceMean") || node.outputs.size() != 1 || node.GetInt("keepdims", 1) != 1) return false;
  std::vector<int64_t> axes;
  if (node.opset >= 18) {
    if (node.inputs.size() < 2) return false;
    const Tensor* t = ConstantOf(graph, node.inputs[1]);
    if (t == nullptr || t->dtype() != DType::kInt64) return false;
    axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->num_elements());
  } else {
    if (node.inputs.size() != 1) return false;
    axes = node.GetInts("axes");
  }
  return axes.size() == 1 && (axes[0] == -1 || (rank > 0 && axes[0] == rank - 1));
}

/// A float32 constant with `n` elements laid out as [n] or [1, ..., 1, n] (at most `rank` dims,
/// so that it cannot grow the result's rank; only [n] when the rank is unknown, -1), reshaped
/// to [n]; undefined otherwise.
Tensor VectorOf(const ir::Graph& graph, ir::ValueId v, int64_t n, int64_t rank) {
  const Tensor* t = ConstantOf(graph, v);
  if (t == nullptr || t->dtype() != DType::kFloat32 || t->rank() == 0 || t->rank() > std::max<int64_t>(rank, 1) ||
      t->num_elements() != n || t->shape().back() != n) {
    return Tensor();
  }
  Result<Tensor> flat = t->Reshaped({n});
  return flat.ok() ? std::move(flat).value() : Tensor();
}

/// The only reader of `v` when it is a one-output `op` node; -1 otherwise.
int OnlyReader(const ir::Graph& graph, const GraphIndex& index, const std::vector<bool>& removed, ir::ValueId v,
               const char* op) {
  const int c = SingleConsumer(index, removed, v);
  if (c < 0) return -1;
  const ir::Node& node = graph.nodes()[static_cast<size_t>(c)];
  return IsOnnxOp(node, op) && node.outputs.size() == 1 ? c : -1;
}

}  // namespace

Result<int> FuseLayerNorm(ir::Graph& graph, const PassContext& context) {
  if (context.registry.Find("", "LayerNormalization") == nullptr) return 0;
  // Trusted types only (graph inputs and constants), never a declared value_info.
  FusionScope scope(graph);
  const GraphIndex& index = scope.index;
  const std::vector<ir::ValueType>& types = scope.types;
  const std::vector<bool>& removed = scope.removed;
  std::vector<ir::Node>& nodes = graph.nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (removed[n] || nodes[n].inputs.empty()) continue;
    const ir::ValueId x = nodes[n].inputs[0];
    if (x == ir::kNoValue) continue;
    const ir::ValueType& x_type = types[static_cast<size_t>(x)];
    // x's rank and last dim (-1: unknown); a known rank of 0 cannot be normalised.
    const int64_t rank = x_type.has_shape ? static_cast<int64_t>(x_type.shape.size()) : -1;
    if (rank == 0) continue;
    const int64_t known_size = rank > 0 ? x_type.shape.back() : -1;
    if (!ReducesLastAxis(graph, nodes[n], rank)) continue;
    std::vector<int> chain = {static_cast<int>(n)};  // the matched nodes, the fused one last

    const int sub = OnlyReader(graph, index, removed, nodes[n].outputs[0], "Sub");
    if (sub < 0 || nodes[static_cast<size_t>(sub)].inputs[0] != x) continue;
    chain.push_back(sub);
    const ir::ValueId d = nodes[static_cast<size_t>(sub)].outputs[0];
    if (index.is_graph_output(d)) continue;
    // d feeds the square (Pow(d, 2), or Mul(d, d) which reads it twice) and the Div.
    int square = -1, div = -1;
    bool ok = true;
    for (int c : index.consumers(d)) {
      const ir::Node& node = nodes[static_cast<size_t>(c)];
      if (removed[static_cast<size_t>(c)] || node.outputs.size() != 1) {
        ok = false;
      } else if (IsOnnxOp(node, "Div") && node.inputs.size() == 2 && node.inputs[0] == d && node.inputs[1] != d &&
                 div < 0) {
        div = c;
      } else if (IsOnnxOp(node, "Pow") && node.inputs.size() == 2 && node.inputs[0] == d && square < 0) {
        const std::optional<double> exponent = ScalarConstant(graph, node.inputs[1]);
        if (exponent && *exponent == 2.0) {
          square = c;
        } else {
          ok = false;
        }
      } else if (IsOnnxOp(node, "Mul") && node.inputs.size() == 2 && node.inputs[0] == d && node.inputs[1] == d &&
                 (square < 0 || square == c)) {
        square = c;
      } else {
        ok = false;
      }
    }
    if (!ok || square < 0 || div < 0) continue;
    const int var = OnlyReader(graph, index, removed, nodes[static_cast<size_t>(square)].outputs[0], "ReduceMean");
    if (var < 0 || !ReducesLastAxis(graph, nodes[static_cast<size_t>(var)], rank)) continue;
    const int add_eps = OnlyReader(graph, index, removed, nodes[static_cast<size_t>(var)].outputs[0], "Add");
    if (add_eps < 0) continue;
    const std::optional<double> epsilon = ScalarConstant(
        graph, OtherInput(nodes[static_cast<size_t>(add_eps)], nodes[static_cast<size_t>(var)].outputs[0]));
    if (!epsilon || *epsilon < 0) continue;
    const int sqrt = OnlyReader(graph, index, removed, nodes[static_cast<size_t>(add_eps)].outputs[0], "Sqrt");
    if (sqrt < 0) continue;
    const ir::ValueId std_dev = nodes[static_cast<size_t>(sqrt)].outputs[0];
    if (SingleConsumer(index, removed, std_dev) != div || nodes[static_cast<size_t>(div)].inputs[1] != std_dev)
      continue;
    chain.insert(chain.end(), {square, var, add_eps, sqrt, div});

    // Optional affine part: Mul by gamma, then Add of beta. N comes from x's type or from gamma.
    ir::ValueId result = nodes[static_cast<size_t>(div)].outputs[0];
    Tensor gamma, beta;
    const int mul = OnlyReader(graph, index, removed, result, "Mul");
    int64_t size = known_size;
    if (mul >= 0) {
      const Tensor* g = ConstantOf(graph, OtherInput(nodes[static_cast<size_t>(mul)], result));
      if (size < 0 && g != nullptr && g->rank() > 0) size = g->shape().back();
      if (size > 0) gamma = VectorOf(graph, OtherInput(nodes[static_cast<size_t>(mul)], result), size, rank);
    }
    if (size <= 0) continue;  // neither x's type nor a gamma tells N
    if (gamma.defined()) {
      chain.push_back(mul);
      result = nodes[static_cast<size_t>(mul)].outputs[0];
      const int add = OnlyReader(graph, index, removed, result, "Add");
      if (add >= 0) beta = VectorOf(graph, OtherInput(nodes[static_cast<size_t>(add)], result), size, rank);
      if (beta.defined()) {
        chain.push_back(add);
        result = nodes[static_cast<size_t>(add)].outputs[0];
      }
    } else {
      gamma = Tensor(DType::kFloat32, {size});
      for (int64_t i = 0; i < size; ++i) gamma.data<float>()[i] = 1.0f;
    }
    // The decomposed graph computes in x's dtype; the fused kernel in float32.
    const std::optional<DType> x_dtype = StaticDType(graph, types, x);
    if (x_dtype && *x_dtype != DType::kFloat32) continue;

    const int last = chain.back();
    ir::Node fused;
    fused.name = nodes[static_cast<size_t>(last)].name.empty() ? graph.value(result).name + "_layer_norm"
                                                               : nodes[static_cast<size_t>(last)].name;
    fused.op_type = "LayerNormalization";
    fused.opset = 17;
    const std::string base = graph.value(result).name;
    fused.inputs = {x, AddConstant(graph, base + "_gamma", std::move(gamma))};
    if (beta.defined()) fused.inputs.push_back(AddConstant(graph, base + "_beta", std::move(beta)));
    fused.outputs = {result};
    fused.attributes["axis"] = ir::IntAttr(-1);
    fused.attributes["epsilon"] = ir::FloatAttr(static_cast<float>(*epsilon));
    // The fused node sits where the chain ended: x and the constants are available there.
    ReplaceChain(graph, scope, chain, last, std::move(fused));
  }
  return scope.Finish(graph);
}

}  // namespace mlserving::optimizer
