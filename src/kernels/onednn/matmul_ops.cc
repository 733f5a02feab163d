// MatMul and Gemm on the oneDNN matmul primitive (float32); FusedMatMul (com.mlserving, from the
// graph optimizer) is MatMul with the primitive's bias and its activation as a post-op. A 2-D B
// that is a graph constant is reordered once into the layout the primitive prefers (blocked for
// the AVX-512/AVX2 kernels) instead of being repacked by every call.

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/onednn/post_ops.h"
#include "kernels/onednn/small_gemm.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::onednn {
namespace {

using reference::BroadcastShapes;
using reference::SetOutput;

/// A matmul primitive prepared for one (shapes, threads) key; `pd` is null when oneDNN has no
/// implementation for it (the kernel then falls back).
struct MatMulPrimitive {
  std::unique_ptr<dnnl::matmul::primitive_desc> pd;
  dnnl::matmul primitive;
  dnnl::memory::desc src, weights, bias, dst;
  dnnl::memory packed_weights;  ///< the constant B in pd's layout; empty for run-time weights
};

/// Creates the primitive, or an entry without one when oneDNN rejects the descriptors.
std::shared_ptr<MatMulPrimitive> NewMatMul(const dnnl::memory::desc& src, const dnnl::memory::desc& weights,
                                           const dnnl::memory::desc* bias, const dnnl::memory::desc& dst, float scale,
                                           const FusedActivation& activation) {
  auto entry = std::make_shared<MatMulPrimitive>();
  try {
    dnnl::primitive_attr attr = AttrWithActivation(activation);
    if (scale != 1.0f) attr.set_output_scales(0, {scale});
    const dnnl::matmul::desc desc =
        bias != nullptr ? dnnl::matmul::desc(src, weights, *bias, dst) : dnnl::matmul::desc(src, weights, dst);
    entry->pd = std::make_unique<dnnl::matmul::primitive_desc>(desc, attr, CpuEngine());
    entry->primitive = dnnl::matmul(*entry->pd);
  } catch (const dnnl::error&) {
    entry->pd.reset();
  }
  entry->src = src;
  entry->weights = weights;
  if (bias != nullptr) entry->bias = *bias;
  entry->dst = dst;
  return entry;
}

Result<std::shared_ptr<const MatMulPrimitive>> MakeMatMul(const dnnl::memory::desc& src,
                                                          const dnnl::memory::desc& weights,
                                                          const dnnl::memory::desc* bias, const dnnl::memory::desc& dst,
                                                          float scale, const FusedActivation& activation = {}) {
  return std::shared_ptr<const MatMulPrimitive>(NewMatMul(src, weights, bias, dst, scale, activation));
}

/// MatMul with numpy semantics. Fast path: float32 operands. When B has rank <= 2 the batch dims
/// of A fold into its rows (one 2-D product); otherwise the batch dims broadcast in oneDNN.
/// As FusedMatMul (`fused`): plus input 2, a bias [N] over the last dim, then `activation`; its
/// fast path needs A and B of rank >= 2. `constant_b`, when B is a 2-D graph constant of at
/// most kMaxPackedWeightBytes, is packed (see there).
class MatMulKernel : public FallbackKernel {
 public:
  /// Packing a constant B into oneDNN's layout keeps a second copy of it beside the graph's (the
  /// graph still holds B for the fallback path). That pays for small matrices; for large ones it
  /// doubles the model's resident weights for ~10% speed (a BERT-base encoder: 129 ms / 673 MB
  /// packed, 142 ms / 348 MB in place, 1 thread), so B above this size is used in place.
  static constexpr size_t kMaxPackedWeightBytes = size_t{1} << 20;

  MatMulKernel(std::unique_ptr<Kernel> fallback, const Tensor* constant_b, bool fused = false,
               FusedActivation activation = {})
      : FallbackKernel(std::move(fallback)), fused_(fused), activation_(activation) {
    if (constant_b != nullptr && constant_b->rank() == 2 && constant_b->byte_size() <= kMaxPackedWeightBytes) {
      constant_b_ = *constant_b;
    }
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* bias = fused_ ? ctx.input(2) : nullptr;
    if (!AllFloat32NonEmpty({a, b}) || a->rank() == 0 || b->rank() == 0) return Fallback(ctx);
    if (fused_ && (a->rank() < 2 || b->rank() < 2)) return Fallback(ctx);
    if (bias != nullptr && (!AllFloat32NonEmpty({bias}) || bias->rank() != 1 || bias->dim(0) != b->shape().back())) {
      return Fallback(ctx);  // the reference reports the mismatch
    }
    Shape sa = a->shape(), sb = b->shape();
    if (a->rank() == 1) sa.insert(sa.begin(), 1);
    if (b->rank() == 1) sb.push_back(1);
    const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
    if (sb[sb.size() - 2] != k) return Fallback(ctx);  // the reference reports the mismatch
    const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
    Result<Shape> batch = BroadcastShapes(batch_a, batch_b);
    if (!batch.ok()) return Fallback(ctx);
    Shape out_shape = *batch;
    if (a->rank() > 1) out_shape.push_back(m);
    if (b->rank() > 1) out_shape.push_back(n);

    const int threads = ThreadsFor(ctx, static_cast<double>(reference::DimProduct(out_shape, 0, out_shape.size())) * k);
    // B is packed only when it is the graph constant the kernel was created with.
    const bool packed = constant_b_.defined() && b->raw_data() == constant_b_.raw_data();
    std::vector<int64_t> key = {threads, bias != nullptr, packed};
    AppendShape(key, a->shape());
    AppendShape(key, b->shape());
    return CatchDnnl("MatMul", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const MatMulPrimitive> p, cache_.GetOrCreate(key, [&] {
        if (batch_b.empty()) {
          const int64_t rows = reference::DimProduct(batch_a, 0, batch_a.size()) * m;
          const dnnl::memory::desc bias_desc = PlainDesc({1, n});
          if (packed) return PreparePacked(rows, k, n, bias != nullptr ? &bias_desc : nullptr);
          return MakeMatMul(PlainDesc({rows, k}), PlainDesc({k, n}), bias != nullptr ? &bias_desc : nullptr,
                            PlainDesc({rows, n}), 1.0f, activation_);
        }
        const size_t rank = std::max(sa.size(), sb.size());
        sa.insert(sa.begin(), rank - sa.size(), 1);
        sb.insert(sb.begin(), rank - sb.size(), 1);
        dnnl::memory::dims dst(batch->begin(), batch->end());
        dst.insert(dst.begin(), rank - 2 - dst.size(), 1);
        dst.push_back(m);
        dst.push_back(n);
        dnnl::memory::dims bias_dims(rank, 1);
        bias_dims.back() = n;
        const dnnl::memory::desc bias_desc = PlainDesc(bias_dims);
        return MakeMatMul(PlainDesc(sa), PlainDesc(sb), bias != nullptr ? &bias_desc : nullptr, PlainDesc(dst), 1.0f,
                          activation_);
      }));
      if (p->pd == nullptr) return Fallback(ctx);
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, out_shape));
      std::unordered_map<int, dnnl::memory> args = {
          {DNNL_ARG_SRC, WrapTensor(p->src, *a)},
          {DNNL_ARG_WEIGHTS, p->packed_weights ? p->packed_weights : WrapTensor(p->weights, *b)},
          {DNNL_ARG_DST, WrapTensor(p->dst, out)}};
      if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, WrapTensor(p->bias, *bias));
      Execute(p->primitive, *p->pd, std::move(args));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  /// The 2-D product [rows, k] x [k, n] with the constant B in the layout oneDNN picks, reordered
  /// once per layout (called under the cache lock, which also guards packed_).
  Result<std::shared_ptr<const MatMulPrimitive>> PreparePacked(int64_t rows, int64_t k, int64_t n,
                                                               const dnnl::memory::desc* bias) const {
    const dnnl::memory::desc any({k, n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
    std::shared_ptr<MatMulPrimitive> entry =
        NewMatMul(PlainDesc({rows, k}), any, bias, PlainDesc({rows, n}), 1.0f, activation_);
    if (entry->pd == nullptr) return std::shared_ptr<const MatMulPrimitive>(std::move(entry));
    const dnnl::memory::desc layout = entry->pd->weights_desc();
    for (const auto& [desc, memory] : packed_) {
      if (desc == layout) entry->packed_weights = memory;
    }
    if (!entry->packed_weights) {
      // A plain layout aliases the constant, which constant_b_ keeps alive.
      entry->packed_weights = ReorderTo(WrapTensor(PlainDesc({k, n}), constant_b_), layout);
      packed_.emplace_back(layout, entry->packed_weights);
    }
    return std::shared_ptr<const MatMulPrimitive>(std::move(entry));
  }

  bool fused_;
  FusedActivation activation_;
  Tensor constant_b_;  ///< B when it is a 2-D graph constant
  /// The constant B reordered per layout, shared by the cache entries that use that layout.
  mutable std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed_;
  PrimitiveCache<MatMulPrimitive> cache_;
};

/// Gemm: Y = alpha * A' * B' + beta * C. Transposes are strided views (no copy); alpha is the
/// primitive's output scale, which oneDNN applies to the product plus bias, so the bias is
/// C * beta / alpha (computed once when C is a constant). Fast path: float32, alpha != 0, and C
/// of rank <= 2 broadcasting to [M, N].
class GemmKernel : public FallbackKernel {
 public:
  GemmKernel(std::unique_ptr<Kernel> fallback, float alpha, float beta, bool trans_a, bool trans_b,
             const Tensor* constant_c)
      : FallbackKernel(std::move(fallback)), alpha_(alpha), beta_(beta), trans_a_(trans_a), trans_b_(trans_b) {
    if (constant_c != nullptr && constant_c->dtype() == DType::kFloat32) {
      constant_c_ = *constant_c;
      Result<Tensor> scaled = ScaleBias(*constant_c);
      if (scaled.ok()) scaled_c_ = std::move(scaled).value();
    }
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.input(1);
    const Tensor* c = beta_ != 0.0f ? ctx.input(2) : nullptr;
    if (!AllFloat32NonEmpty({a, b}) || a->rank() != 2 || b->rank() != 2 || alpha_ == 0.0f) return Fallback(ctx);
    if (c != nullptr && (c->dtype() != DType::kFloat32 || c->rank() > 2 || c->num_elements() == 0)) {
      return Fallback(ctx);
    }
    const int64_t m = trans_a_ ? a->dim(1) : a->dim(0), k = trans_a_ ? a->dim(0) : a->dim(1);
    const int64_t n = trans_b_ ? b->dim(0) : b->dim(1), kb = trans_b_ ? b->dim(1) : b->dim(0);
    if (k != kb) return Fallback(ctx);
    dnnl::memory::dims bias_dims = {1, 1};
    if (c != nullptr) {
      if (c->rank() >= 1) bias_dims[1] = c->shape().back();
      if (c->rank() == 2) bias_dims[0] = c->dim(0);
      if ((bias_dims[0] != 1 && bias_dims[0] != m) || (bias_dims[1] != 1 && bias_dims[1] != n)) return Fallback(ctx);
    }
    if (!trans_a_ && SmallGemmApplies(m, n, k)) {  // tiny product: no oneDNN call (small_gemm.h)
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, {m, n}));
      SmallGemm({.m = m,
                 .n = n,
                 .k = k,
                 .a = a->data<float>(),
                 .b = b->data<float>(),
                 .b_transposed = trans_b_,
                 .alpha = alpha_,
                 .c = c != nullptr ? c->data<float>() : nullptr,
                 .c_row_stride = bias_dims[0] == 1 ? 0 : bias_dims[1],
                 .c_col_stride = bias_dims[1] == 1 ? 0 : 1,
                 .beta = beta_,
                 .y = out.data<float>()});
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    }

    const int threads = ThreadsFor(ctx, static_cast<double>(m) * n * k);
    std::vector<int64_t> key = {threads, c != nullptr};
    AppendShape(key, a->shape());
    AppendShape(key, b->shape());
    if (c != nullptr) AppendShape(key, c->shape());
    return CatchDnnl("Gemm", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const MatMulPrimitive> p, cache_.GetOrCreate(key, [&] {
        const dnnl::memory::desc src({m, k}, dnnl::memory::data_type::f32,
                                     trans_a_ ? dnnl::memory::dims{1, m} : dnnl::memory::dims{k, 1});
        const dnnl::memory::desc weights({k, n}, dnnl::memory::data_type::f32,
                                         trans_b_ ? dnnl::memory::dims{1, k} : dnnl::memory::dims{n, 1});
        const dnnl::memory::desc bias = PlainDesc(bias_dims);
        return MakeMatMul(src, weights, c != nullptr ? &bias : nullptr, PlainDesc({m, n}), alpha_);
      }));
      if (p->pd == nullptr) return Fallback(ctx);
      std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, WrapTensor(p->src, *a)},
                                                    {DNNL_ARG_WEIGHTS, WrapTensor(p->weights, *b)}};
      Tensor bias;
      if (c != nullptr) {
        if (scaled_c_.defined() && c->raw_data() == constant_c_.raw_data()) {
          bias = scaled_c_;
        } else {
          ASSIGN_OR_RETURN(bias, ScaleBias(*c));
        }
        args.emplace(DNNL_ARG_BIAS, WrapTensor(p->bias, bias));
      }
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, {m, n}));
      args.emplace(DNNL_ARG_DST, WrapTensor(p->dst, out));
      Execute(p->primitive, *p->pd, std::move(args));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  /// C * beta / alpha (C itself when that factor is 1).
  Result<Tensor> ScaleBias(const Tensor& c) const {
    const float factor = beta_ / alpha_;
    if (factor == 1.0f) return c;
    ASSIGN_OR_RETURN(Tensor scaled, Tensor::Allocate(DType::kFloat32, c.shape()));
    const float* src = c.data<float>();
    float* dst = scaled.data<float>();
    for (int64_t i = 0; i < c.num_elements(); ++i) dst[i] = src[i] * factor;
    return scaled;
  }

  float alpha_, beta_;
  bool trans_a_, trans_b_;
  Tensor constant_c_;  ///< C when it is a graph constant (identifies it at Compute time)
  Tensor scaled_c_;    ///< its bias form, prepared once
  PrimitiveCache<MatMulPrimitive> cache_;
};

}  // namespace

void RegisterMatMulKernels(KernelRegistry& registry) {
  if (KernelFactoryWithConstants reference = PreviousFactory(registry, "MatMul")) {
    registry.RegisterWithConstants(
        kOnnxDomain, "MatMul",
        [reference](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          return std::unique_ptr<Kernel>(std::make_unique<MatMulKernel>(std::move(fallback), create.constant_input(1)));
        });
  }
  if (const KernelFactoryWithConstants* fused = registry.FindWithConstants(kMlServingDomain, "FusedMatMul")) {
    registry.RegisterWithConstants(
        kMlServingDomain, "FusedMatMul",
        [reference = *fused](const ir::Node& node,
                             const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          ASSIGN_OR_RETURN(FusedActivation activation, ReadFusedActivation(node));
          return std::unique_ptr<Kernel>(
              std::make_unique<MatMulKernel>(std::move(fallback), create.constant_input(1), true, activation));
        });
  }
  if (KernelFactoryWithConstants reference = PreviousFactory(registry, "Gemm")) {
    registry.RegisterWithConstants(
        kOnnxDomain, "Gemm",
        [reference](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          return std::unique_ptr<Kernel>(std::make_unique<GemmKernel>(
              std::move(fallback), node.GetFloat("alpha", 1.0f), node.GetFloat("beta", 1.0f),
              node.GetInt("transA", 0) != 0, node.GetInt("transB", 0) != 0, create.constant_input(2)));
        });
  }
}

}  // namespace mlserving::kernels::onednn
