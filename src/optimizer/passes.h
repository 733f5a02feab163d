#pragma once

#include <vector>

#include "optimizer/pass.h"

namespace mlserving::optimizer {

// Every pass the optimizer knows, one per file (name.cc). Optimize() runs them in the order of
// Pipeline() in passes.cc; each entry there names its level. Declare each pass's run function
// here, e.g. `Result<int> FoldConstants(ir::Graph& graph, const PassContext& context);`.

// ---- Basic level: rewrites that only remove work.
/// Fills in the dtypes and shapes (with symbolic dims) of node outputs; shape_inference.cc.
Result<int> InferShapes(ir::Graph& graph, const PassContext& context);
/// Evaluates deterministic nodes with constant inputs once; constant_folding.cc.
Result<int> FoldConstants(ir::Graph& graph, const PassContext& context);
/// Removes Identity, inference Dropout, no-op Cast/Reshape/…; identity_elimination.cc.
Result<int> EliminateIdentities(ir::Graph& graph, const PassContext& context);
/// Removes nodes whose outputs nobody reads; dead_node_elimination.cc.
Result<int> EliminateDeadNodes(ir::Graph& graph, const PassContext& context);

// ---- All level: fusions into fewer, bigger kernels.
/// Decomposed LayerNorm (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div[, Mul, Add]) into
/// LayerNormalization; layer_norm_fusion.cc.
Result<int> FuseLayerNorm(ir::Graph& graph, const PassContext& context);
/// Decomposed GELU (Erf or Tanh form) into Gelu; gelu_fusion.cc.
Result<int> FuseGelu(ir::Graph& graph, const PassContext& context);
/// Conv -> BatchNormalization folded into the Conv's weights; conv_batchnorm_fusion.cc.
Result<int> FuseConvBatchNorm(ir::Graph& graph, const PassContext& context);
/// Conv -> activation into com.mlserving FusedConv; conv_activation_fusion.cc.
Result<int> FuseConvActivation(ir::Graph& graph, const PassContext& context);
/// MatMul (constant B) -> Add bias [-> activation] into com.mlserving FusedMatMul;
/// matmul_add_fusion.cc.
Result<int> FuseMatMulAdd(ir::Graph& graph, const PassContext& context);
/// MatMul(Q, Kt) [-> scale] [-> Add mask] -> Softmax -> MatMul(., V) into com.mlserving
/// Attention; attention_fusion.cc.
Result<int> FuseAttention(ir::Graph& graph, const PassContext& context);
/// Gemm (constant B, alpha 1, no transA, row-vector C) [-> activation] into com.mlserving
/// FusedMatMul with B as [K, N]; gemm_fusion.cc.
Result<int> FuseGemm(ir::Graph& graph, const PassContext& context);
/// Convolution chains (with their pools, residual Adds, activations) kept in the channel-blocked
/// layout oneDNN prefers (kernels/blocked_layout.h); blocked_layout.cc.
Result<int> ConvertToBlockedLayout(ir::Graph& graph, const PassContext& context);

/// The passes in the order Optimize() runs them.
const std::vector<Pass>& Pipeline();

}  // namespace mlserving::optimizer
