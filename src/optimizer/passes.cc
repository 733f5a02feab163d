#include "optimizer/passes.h"

namespace mlserving::optimizer {

const std::vector<Pass>& Pipeline() {
  // Order matters: folding first exposes constant weights to the fusions; dead-node elimination
  // last removes what the others left unread.
  static const std::vector<Pass> pipeline = {
      {"shape_inference", 1, InferShapes},
      {"constant_folding", 1, FoldConstants},
      {"identity_elimination", 1, EliminateIdentities},
      // Fusions: LayerNorm and GELU first (the GELU then joins its MatMul), BatchNorm into Conv
      // before Conv absorbs its activation.
      {"layer_norm_fusion", 2, FuseLayerNorm},
      {"gelu_fusion", 2, FuseGelu},
      {"conv_batchnorm_fusion", 2, FuseConvBatchNorm},
      {"conv_activation_fusion", 2, FuseConvActivation},
      {"matmul_add_fusion", 2, FuseMatMulAdd},
      {"attention_fusion", 2, FuseAttention},
      {"gemm_fusion", 2, FuseGemm},
      // Layout last among the rewrites: it sees the fused convolutions.
      {"blocked_layout", 2, ConvertToBlockedLayout},
      {"dead_node_elimination", 1, EliminateDeadNodes},
  };
  return pipeline;
}

}  // namespace mlserving::optimizer
