// The reference kernel of com.mlserving Attention (attention.h): per output matrix, the scores
// row by row, a max-subtracted softmax, then the product with V, in the compute type of the
// dtype (as the reference MatMul, Add and Softmax it replaces).

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/fused_activation.h"  // kMlServingDomain
#include "kernels/reference/attention.h"
#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// The leading (batch) dims of `shape`: all but the last two.
Shape BatchDims(const Shape& shape) { return Shape(shape.begin(), shape.end() - 2); }

/// For every index of `out_batch` (row-major), the offset of the matching matrix of a tensor
/// whose batch dims are `batch` (right-aligned, dims of 1 broadcast) and whose matrices hold
/// `matrix_size` elements.
std::vector<int64_t> BatchOffsets(const Shape& out_batch, const Shape& batch, int64_t matrix_size) {
  const size_t rank = out_batch.size();
  // strides[d]: the offset step of out_batch's dim d in the input (0 when broadcast or absent).
  std::vector<int64_t> strides(rank, 0);
  int64_t step = matrix_size;
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t in_dim = batch.size() - 1 - i;
    const size_t out_dim = rank - 1 - i;
    if (batch[in_dim] != 1) strides[out_dim] = step;
    step *= batch[in_dim];
  }
  const int64_t total = NumElements(out_batch);
  std::vector<int64_t> offsets(static_cast<size_t>(total), 0);
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (int64_t n = 0; n < total; ++n) {
    offsets[static_cast<size_t>(n)] = offset;
    for (size_t d = rank; d-- > 0;) {  // odometer increment
      offset += strides[d];
      if (++index[d] < out_batch[d]) break;
      offset -= strides[d] * out_batch[d];
      index[d] = 0;
    }
  }
  return offsets;
}

/// The broadcast of dims `a` and `b` (equal, or one of them 1); -1 when incompatible.
int64_t BroadcastDim(int64_t a, int64_t b) {
  if (a == b || b == 1) return a;
  return a == 1 ? b : -1;
}

}  // namespace

Result<AttentionAttributes> ReadAttentionAttributes(const ir::Node& node) {
  AttentionAttributes attrs;
  attrs.scale = node.GetFloat("scale", 1.0f);
  attrs.mask_scale = node.GetFloat("mask_scale", 1.0f);
  const int64_t k_transposed = node.GetInt("k_transposed", 0);
  if (k_transposed != 0 && k_transposed != 1) {
    return InvalidArgument("Attention k_transposed must be 0 or 1, got " + std::to_string(k_transposed));
  }
  attrs.k_transposed = k_transposed == 1;
  return attrs;
}

Result<AttentionPlan> PlanAttention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask,
                                    bool k_transposed) {
  if (q.rank() < 2 || k.rank() < 2 || v.rank() < 2) {
    return InvalidArgument("Attention Q, K and V must have rank >= 2, got " + q.DebugString() + ", " + k.DebugString() +
                           ", " + v.DebugString());
  }
  if (k.dtype() != q.dtype() || v.dtype() != q.dtype() || (mask != nullptr && mask->dtype() != q.dtype())) {
    return InvalidArgument("Attention inputs must share one dtype, got " + q.DebugString() + ", " + k.DebugString() +
                           ", " + v.DebugString() + (mask ? ", " + mask->DebugString() : ""));
  }
  AttentionPlan plan;
  const int64_t s_q = q.dim(q.rank() - 2);
  plan.depth = q.dim(q.rank() - 1);
  const int64_t k_depth = k_transposed ? k.dim(k.rank() - 2) : k.dim(k.rank() - 1);
  const int64_t s_kv = k_transposed ? k.dim(k.rank() - 1) : k.dim(k.rank() - 2);
  if (k_depth != plan.depth) {
    return InvalidArgument("Attention Q " + q.DebugString() + " and K " + k.DebugString() + " disagree on the depth D" +
                           (k_transposed ? " (K given transposed)" : ""));
  }
  plan.rows = s_q;
  plan.cols = s_kv;
  Shape mask_shape;
  if (mask != nullptr) {
    mask_shape = mask->shape();
    while (mask_shape.size() < 2) mask_shape.insert(mask_shape.begin(), 1);
    plan.rows = BroadcastDim(s_q, mask_shape[mask_shape.size() - 2]);
    plan.cols = BroadcastDim(s_kv, mask_shape.back());
    if (plan.rows < 0 || plan.cols < 0) {
      return InvalidArgument("Attention mask " + mask->DebugString() + " does not broadcast onto the scores [" +
                             std::to_string(s_q) + ", " + std::to_string(s_kv) + "]");
    }
  }
  if (v.dim(v.rank() - 2) != plan.cols) {
    return InvalidArgument("Attention V " + v.DebugString() + " must have " + std::to_string(plan.cols) +
                           " rows, one per key");
  }
  plan.value_depth = v.dim(v.rank() - 1);

  Shape batch = BatchDims(q.shape());
  for (const Shape& other :
       {BatchDims(k.shape()), BatchDims(v.shape()), mask != nullptr ? BatchDims(mask_shape) : Shape()}) {
    Result<Shape> merged = BroadcastShapes(batch, other);
    if (!merged.ok()) {
      return InvalidArgument("Attention inputs have incompatible batch dims: " + q.DebugString() + ", " +
                             k.DebugString() + ", " + v.DebugString() + (mask ? ", " + mask->DebugString() : ""));
    }
    batch = std::move(merged).value();
  }
  plan.batch = NumElements(batch);
  plan.out_shape = batch;
  plan.out_shape.push_back(plan.rows);
  plan.out_shape.push_back(plan.value_depth);

  plan.q_offset = BatchOffsets(batch, BatchDims(q.shape()), s_q * plan.depth);
  plan.k_offset = BatchOffsets(batch, BatchDims(k.shape()), s_kv * plan.depth);
  plan.v_offset = BatchOffsets(batch, BatchDims(v.shape()), plan.cols * plan.value_depth);
  plan.q_row_stride = s_q == 1 ? 0 : plan.depth;
  const int64_t key_step = s_kv == 1 ? 0 : 1;
  plan.k_col_stride = k_transposed ? key_step : key_step * plan.depth;
  plan.k_depth_stride = k_transposed ? s_kv : 1;
  if (mask != nullptr) {
    plan.has_mask = true;
    const int64_t mask_rows = mask_shape[mask_shape.size() - 2], mask_cols = mask_shape.back();
    plan.mask_offset = BatchOffsets(batch, BatchDims(mask_shape), mask_rows * mask_cols);
    plan.mask_row_stride = mask_rows == 1 ? 0 : mask_cols;
    plan.mask_col_stride = mask_cols == 1 ? 0 : 1;
  }
  return plan;
}

Status ComputeAttentionReference(const AttentionPlan& plan, const AttentionAttributes& attrs, const Tensor& q,
                                 const Tensor& k, const Tensor& v, const Tensor* mask, Tensor& out) {
  return DispatchFloating(q.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    const T* pq = q.data<T>();
    const T* pk = k.data<T>();
    const T* pv = v.data<T>();
    const T* pm = mask != nullptr ? mask->data<T>() : nullptr;
    T* po = out.data<T>();
    const C scale = static_cast<C>(attrs.scale), mask_scale = static_cast<C>(attrs.mask_scale);
    std::vector<C> scores(static_cast<size_t>(plan.cols));
    std::vector<C> row_out(static_cast<size_t>(plan.value_depth));
    for (int64_t b = 0; b < plan.batch; ++b) {
      const size_t bi = static_cast<size_t>(b);
      for (int64_t i = 0; i < plan.rows; ++i) {
        const T* q_row = pq + plan.q_offset[bi] + i * plan.q_row_stride;
        for (int64_t j = 0; j < plan.cols; ++j) {
          const T* k_col = pk + plan.k_offset[bi] + j * plan.k_col_stride;
          C dot = 0;
          for (int64_t d = 0; d < plan.depth; ++d) dot += Widen(q_row[d]) * Widen(k_col[d * plan.k_depth_stride]);
          C s = scale * dot;
          if (pm != nullptr) {
            s += mask_scale * Widen(pm[plan.mask_offset[bi] + i * plan.mask_row_stride + j * plan.mask_col_stride]);
          }
          scores[static_cast<size_t>(j)] = s;
        }
        // Softmax as the reference Softmax kernel computes it.
        C max = -std::numeric_limits<C>::infinity();
        for (C s : scores) max = std::max(max, s);
        C sum = 0;
        for (C& s : scores) {
          s = std::exp(s - max);
          sum += s;
        }
        for (C& s : scores) s /= sum;
        std::fill(row_out.begin(), row_out.end(), C{0});
        for (int64_t j = 0; j < plan.cols; ++j) {
          const T* v_row = pv + plan.v_offset[bi] + j * plan.value_depth;
          const C p = scores[static_cast<size_t>(j)];
          for (int64_t e = 0; e < plan.value_depth; ++e) row_out[static_cast<size_t>(e)] += p * Widen(v_row[e]);
        }
        T* o = po + (b * plan.rows + i) * plan.value_depth;
        for (int64_t e = 0; e < plan.value_depth; ++e) o[e] = Narrow<T>(row_out[static_cast<size_t>(e)]);
      }
    }
    return Status::Ok();
  });
}

namespace {

class AttentionKernel : public Kernel {
 public:
  explicit AttentionKernel(AttentionAttributes attrs) : attrs_(attrs) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* q, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* k, RequiredInput(ctx, 1));
    ASSIGN_OR_RETURN(const Tensor* v, RequiredInput(ctx, 2));
    const Tensor* mask = ctx.input(3);
    ASSIGN_OR_RETURN(AttentionPlan plan, PlanAttention(*q, *k, *v, mask, attrs_.k_transposed));
    ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(q->dtype(), plan.out_shape));
    RETURN_IF_ERROR(ComputeAttentionReference(plan, attrs_, *q, *k, *v, mask, out));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  AttentionAttributes attrs_;
};

}  // namespace

void RegisterAttentionKernels(KernelRegistry& registry) {
  registry.Register(kMlServingDomain, "Attention", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(AttentionAttributes attrs, ReadAttentionAttributes(node));
    return std::unique_ptr<Kernel>(std::make_unique<AttentionKernel>(attrs));
  });
}

}  // namespace mlserving::kernels::reference
