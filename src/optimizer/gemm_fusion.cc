// Gemm(A, B, C) with a constant 2-D B, alpha 1 and no transA, optionally followed by an
// activation, as one com.mlserving FusedMatMul (FuseGemm in passes.h). What it buys: the
// activation runs while each output block is in registers or cache (the small GEMM's epilogue,
// or a oneDNN post-op) instead of as a separate pass over the output, and B becomes a plain
// [K, N] constant, which the MatMul kernel packs once (transB = 1, as torch exports Linear, is
// transposed here, once; the original B is released by dead-node elimination when nothing
// else reads it).
//
// C becomes FusedMatMul's bias when it is a constant row vector ([N], [1, N]) or a single value
// (broadcast to [N]); beta is folded into it. A Gemm with another C (per-row, full [M, N], or
// computed at run time) is left alone, as is one whose A is not known to be 2-D: MatMul would
// accept a rank that Gemm rejects.

#include <string>
#include <vector>

#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {
namespace {

/// B transposed ([N, K] -> [K, N]), in B's dtype (float32 or float64).
template <typename T>
Tensor Transposed(const Tensor& b) {
  const int64_t rows = b.dim(0), cols = b.dim(1);
  Tensor t(b.dtype(), {cols, rows});
  const T* src = b.data<T>();
  T* dst = t.data<T>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
  }
  return t;
}

/// beta * C as a [n] bias when C is a constant of `dtype` holding n values ([n] or [1, n]) or
/// one value; undefined otherwise.
template <typename T>
Tensor ScaledRowBias(const Tensor& c, double beta, int64_t n) {
  const bool row = c.num_elements() == n && (c.rank() == 1 || (c.rank() == 2 && c.dim(0) == 1));
  const bool single = c.num_elements() == 1 && c.rank() <= 2;
  if (!row && !single) return Tensor();
  Tensor bias(c.dtype(), {n});
  const T* src = c.data<T>();
  T* dst = bias.data<T>();
  for (int64_t j = 0; j < n; ++j) dst[j] = static_cast<T>(beta) * src[single ? 0 : j];
  return bias;
}

}  // namespace

Result<int> FuseGemm(ir::Graph& graph, const PassContext& context) {
  if (context.registry.Find(kernels::kMlServingDomain, "FusedMatMul") == nullptr) return 0;
  FusionScope scope(graph);
  const GraphIndex& index = scope.index;
  const std::vector<ir::ValueType>& types = scope.types;
  std::vector<bool>& removed = scope.removed;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    // AddConstant may grow the graph's values, never its nodes: `gemm` stays valid.
    ir::Node& gemm = graph.nodes()[n];
    if (removed[n] || !IsOnnxOp(gemm, "Gemm") || gemm.inputs.size() < 2 || gemm.outputs.size() != 1) continue;
    if (gemm.GetInt("transA", 0) != 0 || gemm.GetFloat("alpha", 1.0f) != 1.0f) continue;
    const Tensor* b = ConstantOf(graph, gemm.inputs[1]);
    if (b == nullptr || b->rank() != 2 || !IsFusableFloat(b->dtype())) continue;
    const ir::ValueType& a_type = types[static_cast<size_t>(gemm.inputs[0])];
    if (!a_type.has_shape || a_type.shape.size() != 2) continue;
    if (StaticDType(graph, types, gemm.inputs[0]) != b->dtype()) continue;
    const DType dtype = b->dtype();
    const bool trans_b = gemm.GetInt("transB", 0) != 0;
    const int64_t columns = trans_b ? b->dim(0) : b->dim(1);

    Tensor bias;
    const double beta = gemm.GetFloat("beta", 1.0f);
    const ir::ValueId c_id = gemm.inputs.size() > 2 ? gemm.inputs[2] : ir::kNoValue;
    if (c_id != ir::kNoValue && beta != 0.0) {
      const Tensor* c = ConstantOf(graph, c_id);
      if (c == nullptr || c->dtype() != dtype) continue;
      bias =
          dtype == DType::kFloat32 ? ScaledRowBias<float>(*c, beta, columns) : ScaledRowBias<double>(*c, beta, columns);
      if (!bias.defined()) continue;
    }

    ir::ValueId result = gemm.outputs[0];
    std::optional<kernels::FusedActivation> activation;
    const int next = SingleConsumer(index, removed, result);
    if (next >= 0 && graph.nodes()[static_cast<size_t>(next)].inputs[0] == result) {
      activation = FusableActivation(graph, graph.nodes()[static_cast<size_t>(next)]);
      if (activation) {
        removed[static_cast<size_t>(next)] = true;
        result = graph.nodes()[static_cast<size_t>(next)].outputs[0];
      }
    }

    const std::string base = gemm.name.empty() ? graph.value(gemm.outputs[0]).name : gemm.name;
    std::vector<ir::ValueId> inputs = {gemm.inputs[0], gemm.inputs[1]};
    if (trans_b) {
      inputs[1] = AddConstant(graph, base + "_weights",
                              dtype == DType::kFloat32 ? Transposed<float>(*b) : Transposed<double>(*b));
    }
    if (bias.defined()) inputs.push_back(AddConstant(graph, base + "_bias", std::move(bias)));
    ir::Node& fused = graph.nodes()[n];
    fused.op_type = "FusedMatMul";
    fused.domain = kernels::kMlServingDomain;
    fused.opset = 1;
    fused.inputs = std::move(inputs);
    fused.attributes.clear();
    if (activation) kernels::WriteFusedActivation(*activation, fused);
    // The fused node produces the activation's output; its readers all come later.
    fused.outputs[0] = result;
    ++scope.rewrites;
  }
  return scope.Finish(graph);
}

}  // namespace mlserving::optimizer
