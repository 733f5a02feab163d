#pragma once

// com.mlserving Attention (from the graph optimizer's attention_fusion): scaled dot-product
// attention over the last two dims, with numpy broadcasting over the leading (batch) dims.
//
//   Attention(Q, K, V[, mask]; scale, mask_scale, k_transposed) =
//       Softmax(scale · Q·Kᵀ + mask_scale · mask, axis=-1) · V
//
// - Q: [..., S_q, D]; K: [..., S_kv, D], or Kᵀ [..., D, S_kv] when k_transposed = 1;
//   V: [..., S_kv, D_v]; mask: any rank, broadcast onto the scores [..., S_q, S_kv]. All of one
//   floating dtype, ranks >= 2 (the mask any rank).
// - Output: [batch..., S_q, D_v], the batch dims being the broadcast of all inputs' leading dims
//   (as MatMul → Add → Softmax → MatMul compute them, including a mask that broadcasts a
//   scores dim of 1 up, when V matches).
// - Softmax subtracts the row maximum, like the ONNX Softmax kernels: a row whose scores are all
//   -inf is NaN, as it is in the graph the op replaces.
// Attributes: scale (float, default 1), mask_scale (float, default 1), k_transposed (int, 0/1).

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "kernels/kernel.h"
#include "tensor/tensor.h"

namespace mlserving::kernels::reference {

/// The attributes of an Attention node.
struct AttentionAttributes {
  float scale = 1.0f;
  float mask_scale = 1.0f;
  bool k_transposed = false;
};

/// Reads and checks the attributes of `node`; kInvalidArgument for k_transposed not 0/1.
Result<AttentionAttributes> ReadAttentionAttributes(const ir::Node& node);

/// How one Attention call walks its inputs: the output's shape and, for each of its `batch`
/// matrices, where the matrices of Q, K, V and the mask start (element offsets), plus the strides
/// inside them (0 along a broadcast dim).
struct AttentionPlan {
  Shape out_shape;
  int64_t batch = 0;
  int64_t rows = 0;         ///< S_q of the output (Q's, or the mask's when Q's is 1)
  int64_t cols = 0;         ///< S_kv of the scores (K's, or the mask's when K's is 1)
  int64_t depth = 0;        ///< D
  int64_t value_depth = 0;  ///< D_v
  std::vector<int64_t> q_offset, k_offset, v_offset, mask_offset;
  int64_t q_row_stride = 0;                      ///< D, or 0 when Q's S_q is broadcast
  int64_t k_col_stride = 0, k_depth_stride = 0;  ///< Kᵀ(d, j) = K[k_offset + d·depth_stride + j·col_stride]
  int64_t mask_row_stride = 0, mask_col_stride = 0;
  bool has_mask = false;
};

/// Checks the inputs (present, same floating dtype, ranks, matching D and S_kv, broadcastable
/// batch dims) and plans the call; kInvalidArgument naming the mismatch otherwise.
Result<AttentionPlan> PlanAttention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask,
                                    bool k_transposed);

/// The reference computation of `plan` into `out` (allocated with plan.out_shape, same dtype).
Status ComputeAttentionReference(const AttentionPlan& plan, const AttentionAttributes& attrs, const Tensor& q,
                                 const Tensor& k, const Tensor& v, const Tensor* mask, Tensor& out);

}  // namespace mlserving::kernels::reference
