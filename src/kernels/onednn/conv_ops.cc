// Conv and ConvTranspose (1-D, 2-D, 3-D; groups, strides, dilations, pads, auto_pad; for
// ConvTranspose also output_padding and output_shape) on the oneDNN convolution and
// deconvolution primitives (float32). Weights that are graph constants are reordered into the
// layout the primitive chose once per layout (in practice once per model), not per request.
// FusedConv (com.mlserving, from the graph optimizer) is Conv with its activation as a post-op;
// BlockedConv is FusedConv with a channel-blocked destination (and source, unless the node says
// src_block = 0), the layout oneDNN's convolutions prefer (kernels/blocked_layout.h), so
// chains of convolutions run without a reorder around each. PreferredChannelBlock() lives here
// too: it asks the convolution primitive which block it picks.

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kernels/blocked_layout.h"
#include "kernels/constant_owner.h"
#include "kernels/onednn/blocked_desc.h"
#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/onednn/post_ops.h"
#include "kernels/onednn/return_freed_memory.h"
#include "kernels/reference/kernel_util.h"
#include "kernels/reference/window_util.h"

namespace mlserving::kernels::onednn {
namespace {

using reference::AutoPad;
using reference::ReadWindowAttrs;
using reference::ResolveWindow;
using reference::SetOutput;
using reference::WindowAttrs;
using reference::WindowGeometry;

/// A (de)convolution prepared for one (input shape, weight shape, threads) key; `pd` is null
/// when oneDNN has no implementation for it (the kernel then falls back).
struct ConvPrimitive {
  std::unique_ptr<dnnl::primitive_desc> pd;
  dnnl::primitive primitive;
  dnnl::memory::desc user_src, user_weights, user_dst, bias;
  dnnl::memory packed_weights;  ///< the constant weights in pd's layout; empty for run-time weights
};

/// ConvTranspose's extra attributes.
struct TransposeAttrs {
  std::vector<int64_t> output_padding, output_shape;
};

/// ConvTranspose geometry, as the reference kernel computes it: `out` is the output image, the
/// pads are those of the equivalent convolution from the output back to the input. Output size
/// stride * (in - 1) + output_padding + effective kernel - pads, or output_shape (pads derived,
/// the odd one at the end for SAME_UPPER, at the beginning otherwise); SAME_* alone targets
/// in * stride. kInvalidArgument where the reference reports an error.
Result<WindowGeometry> TransposeGeometry(const WindowAttrs& attrs, const TransposeAttrs& t,
                                         const std::vector<int64_t>& in, const std::vector<int64_t>& kernel) {
  const size_t rank = in.size();
  std::vector<int64_t> output_shape = t.output_shape;
  if (output_shape.size() == rank + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  auto fits = [rank](const std::vector<int64_t>& v, size_t per_dim) { return v.empty() || v.size() == rank * per_dim; };
  if ((!attrs.kernel.empty() && attrs.kernel != kernel) || !fits(attrs.strides, 1) || !fits(attrs.dilations, 1) ||
      !fits(attrs.pads, 2) || !fits(t.output_padding, 1) || !fits(output_shape, 1)) {
    return InvalidArgument("ConvTranspose attributes do not match the input");
  }
  WindowGeometry g;
  g.in = in;
  g.kernel = kernel;
  g.strides = attrs.strides.empty() ? std::vector<int64_t>(rank, 1) : attrs.strides;
  g.dilations = attrs.dilations.empty() ? std::vector<int64_t>(rank, 1) : attrs.dilations;
  g.pad_begin.assign(rank, 0);
  g.pad_end.assign(rank, 0);
  g.out.assign(rank, 0);
  const bool same = attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t op = t.output_padding.empty() ? 0 : t.output_padding[d];
    const int64_t natural = g.strides[d] * (in[d] - 1) + op + (kernel[d] - 1) * g.dilations[d] + 1;
    if (!output_shape.empty() || same) {
      const int64_t target = output_shape.empty() ? in[d] * g.strides[d] : output_shape[d];
      const int64_t total = natural - target;
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor(total / 2)
      g.pad_begin[d] = attrs.auto_pad == AutoPad::kSameUpper ? half : total - half;
      g.pad_end[d] = total - g.pad_begin[d];
    } else if (attrs.auto_pad == AutoPad::kNotSet && !attrs.pads.empty()) {
      g.pad_begin[d] = attrs.pads[d];
      g.pad_end[d] = attrs.pads[d + rank];
    }
    g.out[d] = natural - g.pad_begin[d] - g.pad_end[d];
    if (g.out[d] <= 0) return InvalidArgument("ConvTranspose output would be empty");
  }
  return g;
}

/// BlockedConv's layouts: the destination is channel-blocked by `block`, the source by
/// `src_block` (0: plain NCHW).
struct BlockedLayout {
  int64_t block = 0;
  int64_t src_block = 0;
};

/// Conv, or ConvTranspose when `transpose` is set, or FusedConv (Conv then `activation`, as a
/// post-op), or BlockedConv when `blocked` is set. Fast path: float32, rank 3 to 5, consistent
/// channels and geometry; everything else (and every error report) is the reference's.
/// Constant float32 weights are offered for take-over (kernels/constant_owner.h): once handed
/// over, the kernel keeps them only packed (the graph drops its copy); otherwise it packs a copy
/// of the graph's.
class ConvKernel : public FallbackKernel, public ConstantInputOwner {
 public:
  ConvKernel(std::unique_ptr<Kernel> fallback, WindowAttrs attrs, int64_t group, const Tensor* constant_weights,
             std::optional<TransposeAttrs> transpose, FusedActivation activation = {},
             std::optional<BlockedLayout> blocked = std::nullopt)
      : FallbackKernel(std::move(fallback)),
        attrs_(std::move(attrs)),
        group_(group),
        transpose_(std::move(transpose)),
        activation_(activation),
        blocked_(blocked) {
    if (constant_weights != nullptr) constant_weights_ = *constant_weights;
  }

  std::vector<size_t> OwnableConstantInputs() const override {
    if (constant_weights_.defined() && constant_weights_.dtype() == DType::kFloat32 &&
        constant_weights_.num_elements() > 0 && constant_weights_.rank() >= 3) {
      return {1};
    }
    return {};
  }

  void TakeOverConstantInputs(const std::vector<size_t>& inputs) override {
    if (std::find(inputs.begin(), inputs.end(), size_t{1}) == inputs.end()) return;
    if (OwnableConstantInputs().empty()) return;
    owned_w_shape_ = constant_weights_.shape();  // packed on first use, then dropped (Prepare)
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* b = ctx.input(2);
    // W is the constant the kernel took over: its own, packed copy, of shape owned_w_shape_.
    if (ctx.input(1) == nullptr && !owned_w_shape_.empty()) return ComputeWith(ctx, x, nullptr, owned_w_shape_, b);
    const Tensor* w = ctx.input(1);
    if (w == nullptr) return Fallback(ctx);
    return ComputeWith(ctx, x, w, w->shape(), b);
  }

 private:
  /// Compute() for weights `w` of shape `w_shape`; `w` is null for the weights the kernel holds.
  Status ComputeWith(KernelContext& ctx, const Tensor* x, const Tensor* w, const Shape& w_shape,
                     const Tensor* b) const {
    const bool own_w = w == nullptr;
    const auto fallback = [&] { return own_w ? FallbackWithOwnW(ctx) : Fallback(ctx); };
    if (!AllFloat32NonEmpty({x}) || (!own_w && !AllFloat32NonEmpty({w})) ||
        (b != nullptr && !AllFloat32NonEmpty({b}))) {
      return fallback();
    }
    const int64_t w_rank = static_cast<int64_t>(w_shape.size());
    // The logical [N, C, spatial...] shape of X (its stored shape unless X is blocked).
    Shape x_shape = x->shape();
    if (blocked_ && blocked_->src_block > 0) {
      if (x->rank() < 4 || x->shape().back() != blocked_->src_block || w_rank != x->rank() - 1) {
        return fallback();
      }
      x_shape.pop_back();
      x_shape[1] = w_shape[1] * group_;
      if (ChannelBlocks(x_shape[1], blocked_->src_block) != x->dim(1) || !BlockedDesc(x_shape, blocked_->src_block)) {
        return fallback();
      }
    }
    const int64_t rank = static_cast<int64_t>(x_shape.size());
    if (rank < 3 || rank > 5 || w_rank != rank) return fallback();
    int64_t out_channels = w_shape[0];
    if (transpose_) {
      out_channels = w_shape[1] * group_;
      if (x_shape[1] != w_shape[0] || x_shape[1] % group_ != 0) return fallback();
    } else if (x_shape[1] != w_shape[1] * group_ || out_channels % group_ != 0) {
      return fallback();
    }
    if (b != nullptr && (b->rank() != 1 || b->dim(0) != out_channels)) return fallback();
    const std::vector<int64_t> kernel(w_shape.begin() + 2, w_shape.end());
    const std::vector<int64_t> spatial(x_shape.begin() + 2, x_shape.end());
    Result<WindowGeometry> geometry =
        transpose_ ? TransposeGeometry(attrs_, *transpose_, spatial, kernel) : ResolveWindow(attrs_, kernel, spatial);
    if (!geometry.ok()) return fallback();  // the reference reports the error
    const WindowGeometry& g = *geometry;
    Shape out_shape = {x_shape[0], out_channels};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    if (blocked_ && (!BlockedDesc(out_shape, blocked_->block))) return fallback();
    const Shape stored_out_shape = blocked_ ? BlockedShape(out_shape, blocked_->block) : out_shape;
    // Weights are packed when the kernel holds them, or when they are the graph constant the
    // kernel was created with (then packed beside the graph's copy).
    const bool packed = own_w || (owned_w_shape_.empty() && constant_weights_.defined() &&
                                  w->raw_data() == constant_weights_.raw_data());

    // Work: every output of a convolution (every input of a transposed one) takes one
    // multiply-add per weight of its group.
    const double work = static_cast<double>(transpose_ ? x->num_elements() : reference::Product(out_shape)) *
                        static_cast<double>(reference::Product(w_shape) / w_shape[0]);
    const int threads = ThreadsFor(ctx, work);
    std::vector<int64_t> key = {threads, b != nullptr, packed};
    AppendShape(key, x->shape());
    AppendShape(key, w_shape);
    return CatchDnnl("Conv", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const ConvPrimitive> p, cache_.GetOrCreate(key, [&] {
        return Prepare(x_shape, w_shape, out_channels, b != nullptr, packed, g, out_shape);
      }));
      if (p->pd == nullptr) return fallback();
      const dnnl::memory src = ReorderTo(WrapTensor(p->user_src, *x), p->pd->src_desc(0));
      const dnnl::memory weights = packed ? p->packed_weights : WrapTensor(p->user_weights, *w);
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, stored_out_shape));
      const dnnl::memory user_dst = WrapTensor(p->user_dst, out);
      const bool direct_dst = p->pd->dst_desc(0) == p->user_dst;
      const dnnl::memory dst = direct_dst ? user_dst : dnnl::memory(p->pd->dst_desc(0), CpuEngine());
      std::unordered_map<int, dnnl::memory> args = {
          {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
      if (b != nullptr) args.emplace(DNNL_ARG_BIAS, WrapTensor(p->bias, *b));
      Execute(p->primitive, *p->pd, std::move(args));
      if (!direct_dst) ReorderInto(dst, user_dst);
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

  /// Creates the primitive for one key (called under the cache lock, which also guards packed_).
  /// Plain layouts at the boundary (blocked ones for BlockedConv, which the primitive must then
  /// use as they are); oneDNN picks the internal layouts of the others and of (constant) weights.
  Result<std::shared_ptr<const ConvPrimitive>> Prepare(const Shape& x_shape, const Shape& w_shape, int64_t out_channels,
                                                       bool has_bias, bool packed, const WindowGeometry& g,
                                                       const Shape& out_shape) const {
    auto entry = std::make_shared<ConvPrimitive>();
    const bool blocked_src = blocked_ && blocked_->src_block > 0;
    entry->user_src = blocked_src ? *BlockedDesc(x_shape, blocked_->src_block) : PlainDesc(x_shape);
    entry->user_weights = UserWeights(w_shape);
    entry->user_dst = blocked_ ? *BlockedDesc(out_shape, blocked_->block) : PlainDesc(out_shape);
    entry->bias = PlainDesc({out_channels});
    dnnl::memory::dims dilations = g.dilations;
    for (int64_t& d : dilations) d -= 1;  // oneDNN counts the gaps
    dnnl::memory::dims pad_end = g.pad_end;
    if (transpose_ && !transpose_->output_padding.empty()) {
      // oneDNN has no output_padding: the extra output rows are less end padding.
      for (size_t d = 0; d < pad_end.size(); ++d) pad_end[d] -= transpose_->output_padding[d];
    }
    const auto any = dnnl::memory::format_tag::any;
    const auto f32 = dnnl::memory::data_type::f32;
    const dnnl::memory::desc src = blocked_src ? entry->user_src : dnnl::memory::desc(x_shape, f32, any);
    const dnnl::memory::desc dst = blocked_ ? entry->user_dst : dnnl::memory::desc(out_shape, f32, any);
    const dnnl::memory::desc weights =
        packed ? dnnl::memory::desc(entry->user_weights.dims(), f32, any) : entry->user_weights;
    const dnnl::memory::desc* bias = has_bias ? &entry->bias : nullptr;
    const auto inference = dnnl::prop_kind::forward_inference;
    try {
      if (transpose_) {
        using Deconv = dnnl::deconvolution_forward;
        const auto algorithm = dnnl::algorithm::deconvolution_direct;
        const Deconv::desc desc = bias != nullptr ? Deconv::desc(inference, algorithm, src, weights, *bias, dst,
                                                                 g.strides, dilations, g.pad_begin, pad_end)
                                                  : Deconv::desc(inference, algorithm, src, weights, dst, g.strides,
                                                                 dilations, g.pad_begin, pad_end);
        auto pd = std::make_unique<Deconv::primitive_desc>(desc, DefaultAttr(), CpuEngine());
        entry->primitive = Deconv(*pd);
        entry->pd = std::move(pd);
      } else {
        using Conv = dnnl::convolution_forward;
        const auto algorithm = dnnl::algorithm::convolution_direct;
        const Conv::desc desc =
            bias != nullptr
                ? Conv::desc(inference, algorithm, src, weights, *bias, dst, g.strides, dilations, g.pad_begin, pad_end)
                : Conv::desc(inference, algorithm, src, weights, dst, g.strides, dilations, g.pad_begin, pad_end);
        auto pd = std::make_unique<Conv::primitive_desc>(desc, AttrWithActivation(activation_), CpuEngine());
        entry->primitive = Conv(*pd);
        entry->pd = std::move(pd);
      }
    } catch (const dnnl::error&) {
      entry->pd.reset();
      return std::shared_ptr<const ConvPrimitive>(std::move(entry));
    }
    if (packed) {
      const dnnl::memory::desc layout = entry->pd->weights_desc(0);
      std::lock_guard<std::mutex> lock(weights_mu_);
      for (const auto& [desc, memory] : packed_) {
        if (desc == layout) entry->packed_weights = memory;
      }
      if (!entry->packed_weights) {
        // A plain layout aliases the constant, which constant_weights_ then keeps alive; held
        // weights whose plain form is gone are reordered from a layout packed before.
        entry->packed_weights = constant_weights_.defined()
                                    ? ReorderTo(WrapTensor(entry->user_weights, constant_weights_), layout)
                                    : ReorderTo(packed_.front().second, layout);
        packed_.emplace_back(layout, entry->packed_weights);
        if (!owned_w_shape_.empty() && constant_weights_.defined() && layout != entry->user_weights) {
          constant_weights_ = Tensor();
          ReturnFreedMemory();
        }
      }
    }
    return std::shared_ptr<const ConvPrimitive>(std::move(entry));
  }

  /// The fallback for a call whose weights are the ones the kernel holds: rebuilt in their plain
  /// ONNX form (from the packed copy once the plain one is dropped) for this call only.
  Status FallbackWithOwnW(KernelContext& ctx) const {
    Tensor plain;
    RETURN_IF_ERROR(CatchDnnl("Conv", [&]() -> Status {
      std::lock_guard<std::mutex> lock(weights_mu_);
      if (constant_weights_.defined()) {
        plain = constant_weights_;
        return Status::Ok();
      }
      ASSIGN_OR_RETURN(plain, Unpack(packed_.front().second, UserWeights(owned_w_shape_), owned_w_shape_));
      return Status::Ok();
    }));
    return FallbackWithInput(ctx, 1, plain);
  }

  /// The ONNX weights as oneDNN's logical weights: Conv W [O, I/g, k...] is {[g,] O/g, I/g, k...};
  /// ConvTranspose W [I, O/g, k...] is the same logical shape over permuted strides.
  dnnl::memory::desc UserWeights(const Shape& w) const {
    const int64_t spatial = reference::Product(std::vector<int64_t>(w.begin() + 2, w.end()));
    dnnl::memory::dims dims(w.begin(), w.end());
    dnnl::memory::dims strides(dims.size(), 1);
    for (size_t d = dims.size(); d-- > 3;) strides[d - 1] = strides[d] * dims[d];
    int64_t out_per_group, in_per_group;
    if (transpose_) {
      in_per_group = w[0] / group_;
      out_per_group = w[1];
      strides[0] = spatial;                  // output channel
      strides[1] = out_per_group * spatial;  // input channel
    } else {
      out_per_group = w[0] / group_;
      in_per_group = w[1];
      strides[0] = in_per_group * spatial;
      strides[1] = spatial;
    }
    dims[0] = out_per_group;
    dims[1] = in_per_group;
    if (group_ > 1) {
      dims.insert(dims.begin(), group_);
      strides.insert(strides.begin(), out_per_group * in_per_group * spatial);
    }
    return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
  }

  WindowAttrs attrs_;
  int64_t group_;
  std::optional<TransposeAttrs> transpose_;
  FusedActivation activation_;            ///< applied by the convolution primitive (kNone for Conv)
  std::optional<BlockedLayout> blocked_;  ///< set for BlockedConv
  /// W when it is a graph constant; for held weights, only until their first packing. Guarded by
  /// weights_mu_ once the kernel runs.
  mutable Tensor constant_weights_;
  Shape owned_w_shape_;  ///< the shape of the weights the kernel holds; empty when it holds none
  /// Guards constant_weights_ (for held weights) and packed_.
  mutable std::mutex weights_mu_;
  /// Constant weights reordered per layout, shared by the cache entries that use that layout.
  mutable std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> packed_;
  PrimitiveCache<ConvPrimitive> cache_;
};

}  // namespace

void RegisterConvKernels(KernelRegistry& registry) {
  for (const char* op : {"Conv", "ConvTranspose"}) {
    KernelFactoryWithConstants reference = PreviousFactory(registry, op);
    if (!reference) continue;
    const bool transpose = std::string(op) == "ConvTranspose";
    registry.RegisterWithConstants(
        kOnnxDomain, op,
        [reference, transpose](const ir::Node& node,
                               const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          // The reference factory validates the attributes; its kernel serves every other case.
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          ASSIGN_OR_RETURN(WindowAttrs attrs, ReadWindowAttrs(node, false));
          std::optional<TransposeAttrs> transpose_attrs;
          if (transpose) transpose_attrs = TransposeAttrs{node.GetInts("output_padding"), node.GetInts("output_shape")};
          return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(fallback), std::move(attrs),
                                                                      node.GetInt("group", 1), create.constant_input(1),
                                                                      std::move(transpose_attrs)));
        });
  }
  if (const KernelFactoryWithConstants* fused = registry.FindWithConstants(kMlServingDomain, "FusedConv")) {
    registry.RegisterWithConstants(
        kMlServingDomain, "FusedConv",
        [reference = *fused](const ir::Node& node,
                             const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          ASSIGN_OR_RETURN(WindowAttrs attrs, ReadWindowAttrs(node, false));
          ASSIGN_OR_RETURN(FusedActivation activation, ReadFusedActivation(node));
          return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(fallback), std::move(attrs),
                                                                      node.GetInt("group", 1), create.constant_input(1),
                                                                      std::nullopt, activation));
        });
  }
  if (const KernelFactoryWithConstants* blocked = registry.FindWithConstants(kMlServingDomain, "BlockedConv")) {
    registry.RegisterWithConstants(
        kMlServingDomain, "BlockedConv",
        [reference = *blocked](const ir::Node& node,
                               const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));  // validates `block`
          ASSIGN_OR_RETURN(WindowAttrs attrs, ReadWindowAttrs(node, false));
          ASSIGN_OR_RETURN(FusedActivation activation, ReadFusedActivation(node));
          const BlockedLayout layout{node.GetInt(kBlockAttr, 0), node.GetInt("src_block", 0)};
          return std::unique_ptr<Kernel>(std::make_unique<ConvKernel>(std::move(fallback), std::move(attrs),
                                                                      node.GetInt("group", 1), create.constant_input(1),
                                                                      std::nullopt, activation, layout));
        });
  }
}

}  // namespace mlserving::kernels::onednn

namespace mlserving::kernels {

int64_t PreferredChannelBlock() {
  static const int64_t block = []() -> int64_t {
    if (const char* forced = std::getenv("MLSERVING_CHANNEL_BLOCK")) {
      const std::string value = forced;
      if (value == "0" || value == "8" || value == "16") return std::stoi(value);
      if (value == "channels_last") return kChannelsLast;
    }
    // A typical ResNet convolution: 64 -> 64 channels, 3x3, 28x28, every layout left to oneDNN.
    const dnnl::memory::dims src_dims = {1, 64, 28, 28}, weight_dims = {64, 64, 3, 3}, dst_dims = {1, 64, 28, 28};
    const auto f32 = dnnl::memory::data_type::f32;
    const auto any = dnnl::memory::format_tag::any;
    try {
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
          dnnl::memory::desc(src_dims, f32, any), dnnl::memory::desc(weight_dims, f32, any),
          dnnl::memory::desc(dst_dims, f32, any), {1, 1}, {0, 0}, {1, 1}, {1, 1});
      const dnnl::convolution_forward::primitive_desc pd(desc, onednn::CpuEngine());
      for (int64_t candidate : {int64_t{16}, int64_t{8}}) {
        if (pd.dst_desc() == *onednn::BlockedDesc(dst_dims, candidate)) return candidate;
      }
      if (pd.dst_desc() == *onednn::BlockedDesc(dst_dims, dst_dims[1])) return kChannelsLast;
    } catch (const dnnl::error&) {
    }
    return 0;
  }();
  return block;
}

}  // namespace mlserving::kernels
