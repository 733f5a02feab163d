// MatMul(A, B) with a constant 2-D B, then an Add of a constant bias broadcast over the last dim,
// then optionally an activation, as one com.mlserving FusedMatMul: the oneDNN matmul adds the
// bias and applies the activation while each output block is in cache. Batched A ([batch, seq,
// K], as in transformers) folds into the rows of one 2-D product. A MatMul followed by an
// activation alone is fused too.

#include <string>
#include <vector>

#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {
namespace {

/// The bias as a [n] tensor when `v` is a constant of B's dtype whose shape is [n] or
/// [1, ..., 1, n] with at most `max_rank` dims (so that adding it cannot grow the product's
/// rank); undefined otherwise.
Tensor RowBias(const ir::Graph& graph, ir::ValueId v, DType dtype, int64_t n, int64_t max_rank) {
  const Tensor* t = ConstantOf(graph, v);
  if (t == nullptr || t->dtype() != dtype || t->rank() == 0 || t->rank() > max_rank || t->shape().back() != n ||
      t->num_elements() != n) {
    return Tensor();
  }
  if (t->rank() == 1) return *t;
  Result<Tensor> flat = t->Reshaped({n});
  return flat.ok() ? std::move(flat).value() : Tensor();
}

/// The rank of `v` in `types` when known, else 1 (the least a MatMul operand has).
int64_t KnownRankOrOne(const std::vector<ir::ValueType>& types, ir::ValueId v) {
  const ir::ValueType& type = types[static_cast<size_t>(v)];
  return type.has_shape ? static_cast<int64_t>(type.shape.size()) : 1;
}

}  // namespace

Result<int> FuseMatMulAdd(ir::Graph& graph, const PassContext& context) {
  if (context.registry.Find(kernels::kMlServingDomain, "FusedMatMul") == nullptr) return 0;
  // Trusted types only: a bias of rank > 1 is folded only when A's rank provably covers it.
  FusionScope scope(graph);
  const GraphIndex& index = scope.index;
  const std::vector<ir::ValueType>& types = scope.types;
  std::vector<bool>& removed = scope.removed;
  std::vector<ir::Node>& nodes = graph.nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    ir::Node& matmul = nodes[n];
    if (removed[n] || !IsOnnxOp(matmul, "MatMul") || matmul.inputs.size() != 2 || matmul.outputs.size() != 1) continue;
    const Tensor* b = ConstantOf(graph, matmul.inputs[1]);
    if (b == nullptr || b->rank() != 2 || !IsFusableFloat(b->dtype())) continue;
    const DType dtype = b->dtype();
    const int64_t columns = b->dim(1);
    const int64_t product_rank = std::max<int64_t>(KnownRankOrOne(types, matmul.inputs[0]), 1);

    std::vector<int> absorbed;  // the nodes folded into the MatMul, in order
    ir::ValueId result = matmul.outputs[0];
    Tensor bias;
    int next = SingleConsumer(index, removed, result);
    if (next >= 0 && IsOnnxOp(nodes[static_cast<size_t>(next)], "Add") &&
        nodes[static_cast<size_t>(next)].outputs.size() == 1) {
      const ir::Node& add = nodes[static_cast<size_t>(next)];
      bias = RowBias(graph, OtherInput(add, result), dtype, columns, product_rank);
      if (bias.defined()) {
        absorbed.push_back(next);
        result = add.outputs[0];
        next = SingleConsumer(index, removed, result);
      }
    }
    std::optional<kernels::FusedActivation> activation;
    if (next >= 0 && nodes[static_cast<size_t>(next)].inputs[0] == result) {
      activation = FusableActivation(graph, nodes[static_cast<size_t>(next)]);
      if (activation) {
        absorbed.push_back(next);
        result = nodes[static_cast<size_t>(next)].outputs[0];
      }
    }
    if (absorbed.empty()) continue;

    const std::string base = matmul.name.empty() ? graph.value(matmul.outputs[0]).name : matmul.name;
    matmul.op_type = "FusedMatMul";
    matmul.domain = kernels::kMlServingDomain;
    matmul.opset = 1;
    if (bias.defined()) matmul.inputs.push_back(AddConstant(graph, base + "_bias", std::move(bias)));
    if (activation) kernels::WriteFusedActivation(*activation, matmul);
    // The fused node produces the last absorbed node's output; its readers all come later.
    matmul.outputs[0] = result;
    for (int a : absorbed) removed[static_cast<size_t>(a)] = true;
    ++scope.rewrites;
  }
  return scope.Finish(graph);
}

}  // namespace mlserving::optimizer
