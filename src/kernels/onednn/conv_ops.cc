// Conv (1-D, 2-D, 3-D; groups, strides, dilations, pads, auto_pad) on the oneDNN convolution
// primitive (float32). Weights that are graph constants are reordered into the layout the
// primitive chose once per layout (in practice once per model), not per request.

#include <string>
#include <vector>

#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/reference/kernel_util.h"
#include "kernels/reference/window_util.h"

namespace mlserving::kernels::onednn {
namespace {

using reference::ReadWindowAttrs;
using reference::ResolveWindow;
using reference::SetOutput;
using reference::WindowAttrs;
using reference::WindowGeometry;

/// A convolution prepared for one (input shape, weight shape, threads) key; `pd` is null when
/// oneDNN has no implementation for it (the kernel then falls back).
struct ConvPrimitive {
  std::unique_ptr<dnnl::convolution_forward::primitive_desc> pd;
  dnnl::convolution_forward primitive;
  dnnl::memory::desc user_src, user_weights, user_dst, bias;
  dnnl::memory packed_weights;  ///< the constant weights in pd's layout; empty for run-time weights
};

class ConvKernel : public FallbackKernel {
 public:
  ConvKernel(std::unique_ptr<Kernel> fallback, WindowAttrs attrs, int64_t group, const Tensor* constant_weights)
      : FallbackKernel(std::move(fallback)), attrs_(std::move(attrs)), group_(group) {
    if (constant_weights != nullptr) constant_weights_ = *constant_weights;
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.input(1);
    const Tensor* b = ctx.input(2);
    if (!AllFloat32NonEmpty({x, w}) || (b != nullptr && !AllFloat32NonEmpty({b}))) return Fallback(ctx);
    if (x->rank() < 3 || x->rank() > 5 || w->rank() != x->rank()) return Fallback(ctx);
    const int64_t out_channels = w->dim(0);
    if (x->dim(1) != w->dim(1) * group_ || out_channels % group_ != 0) return Fallback(ctx);
    if (b != nullptr && (b->rank() != 1 || b->dim(0) != out_channels)) return Fallback(ctx);
    const std::vector<int64_t> kernel(w->shape().begin() + 2, w->shape().end());
    const std::vector<int64_t> spatial(x->shape().begin() + 2, x->shape().end());
    Result<WindowGeometry> geometry = ResolveWindow(attrs_, kernel, spatial);
    if (!geometry.ok()) return Fallback(ctx);  // the reference reports the error
    const WindowGeometry& g = *geometry;
    Shape out_shape = {x->dim(0), out_channels};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    // Weights are packed only when they are the graph constant the kernel was created with.
    const bool packed = constant_weights_.defined() && w->raw_data() == constant_weights_.raw_data();

    std::vector<int64_t> key = {ctx.intra_op_threads, b != nullptr, packed};
    AppendShape(key, x->shape());
    AppendShape(key, w->shape());
    return CatchDnnl("Conv", [&]() -> Status {
      ScopedOmpThreads threads(ctx.intra_op_threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const ConvPrimitive> p,
                       cache_.GetOrCreate(key, [&] { return Prepare(*x, *w, b != nullptr, packed, g, out_shape); }));
      if (p->pd == nullptr) return Fallback(ctx);
      const dnnl::memory src = ReorderTo(WrapTensor(p->user_src, *x), p->pd->src_desc());
      const dnnl::memory weights = packed ? p->packed_weights : WrapTensor(p->user_weights, *w);
      ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kFloat32, out_shape));
      const dnnl::memory user_dst = WrapTensor(p->user_dst, out);
      const bool direct_dst = p->pd->dst_desc() == p->user_dst;
      const dnnl::memory dst = direct_dst ? user_dst : dnnl::memory(p->pd->dst_desc(), CpuEngine());
      std::unordered_map<int, dnnl::memory> args = {
          {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
      if (b != nullptr) args.emplace(DNNL_ARG_BIAS, WrapTensor(p->bias, *b));
      Execute(p->primitive, *p->pd, std::move(args));
      if (!direct_dst) ReorderInto(dst, user_dst);
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  /// Creates the primitive for one key (called under the cache lock, which also guards packed_).
  /// Plain layouts at the boundary; oneDNN picks the internal layouts of source, destination and
  /// (constant) weights.
  Result<std::shared_ptr<const ConvPrimitive>> Prepare(const Tensor& x, const Tensor& w, bool has_bias, bool packed,
                                                       const WindowGeometry& g, const Shape& out_shape) const {
    auto entry = std::make_shared<ConvPrimitive>();
    dnnl::memory::dims weight_dims(w.shape().begin(), w.shape().end());
    if (group_ > 1) {
      weight_dims[0] /= group_;
      weight_dims.insert(weight_dims.begin(), group_);
    }
    entry->user_src = PlainDesc(x.shape());
    entry->user_weights = PlainDesc(weight_dims);
    entry->user_dst = PlainDesc(out_shape);
    entry->bias = PlainDesc({w.dim(0)});
    dnnl::memory::dims dilations = g.dilations;
    for (int64_t& d : dilations) d -= 1;  // oneDNN counts the gaps
    const auto any = dnnl::memory::format_tag::any;
    const dnnl::memory::desc src(x.shape(), dnnl::memory::data_type::f32, any);
    const dnnl::memory::desc dst(out_shape, dnnl::memory::data_type::f32, any);
    const dnnl::memory::desc weights =
        packed ? dnnl::memory::desc(weight_dims, dnnl::memory::data_type::f32, any) : entry->user_weights;
    try {
      const auto desc = has_bias ? dnnl::convolution_forward::desc(
                                       dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                       weights, entry->bias, dst, g.strides, dilations, g.pad_begin, g.pad_end)
                                 : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                                   dnnl::algorithm::convolution_direct, src, weights,
                                                                   dst, g.strides, dilations, g.pad_begin, g.pad_end);
      entry->pd = std::make_unique<dnnl::convolution_forward::primitive_desc>(desc, DefaultAttr(), CpuEngine());
    } catch (const dnnl::error&) {
      entry->pd.reset();
      return std::shared_ptr<const ConvPrimitive>(std::move(entry));
    }
    entry->primitive = dnnl::convolution_forward(*entry->pd);
    if (packed) {
      const dnnl::memory::desc layout = entry->pd->weights_desc();
      for (const auto& [desc, memory] : packed_) {
        if (desc == layout) entry->packed_weights = memory;
      }
      if (!entry->packed_weights) {
        // A plain layout aliases the constant, which constant_weights_ keeps alive.
        entry->packed_weights = ReorderTo(WrapTensor(entry->user_weights, constant_weights_), layout);
        packed_.emplace_back(layout, entry->packed_weights);
      }
    }
    return std::shared_ptr<const ConvPrimitive>(std::move(entry));
  }

  WindowAttrs attrs_;
  int64_t group_;
  Tensor constant_weights_;  ///< W when it is a graph constant
  /// Constant weights reordered per layout, shared by the cache entries that use that layout.
  mutable std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed_;
  PrimitiveCache<ConvPrimitive> cache_;
};

}  // namespace

void RegisterConvKernels(KernelRegistry& registry) {
  KernelFactoryWithConstants reference = PreviousFactory(registry, "Conv");
  if (!reference) return;
  registry.RegisterWithConstants(
      kOnnxDomain, "Conv",
      [reference](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
        // The reference factory validates the attributes; its kernel serves every other case.
        ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
        ASSIGN_OR_RETURN(WindowAttrs attrs, ReadWindowAttrs(node, false));
        const int64_t group = node.GetInt("group", 1);
        return std::unique_ptr<Kernel>(
            std::make_unique<ConvKernel>(std::move(fallback), std::move(attrs), group, create.constant_input(1)));
      });
}

}  // namespace mlserving::kernels::onednn
