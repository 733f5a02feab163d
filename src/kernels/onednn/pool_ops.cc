// MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool (1-D to 3-D) on the oneDNN pooling
// primitive (float32), and their com.mlserving Blocked* forms over the channel-blocked layout
// (kernels/blocked_layout.h), which pool every stored channel (padding ones pool to zero).

#include <algorithm>
#include <string>
#include <vector>

#include "kernels/blocked_layout.h"
#include "kernels/fused_activation.h"
#include "kernels/onednn/blocked_desc.h"
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

struct PoolPrimitive {
  std::unique_ptr<dnnl::pooling_v2_forward::primitive_desc> pd;  ///< null: fall back
  dnnl::pooling_v2_forward primitive;
  dnnl::memory::desc src, dst;
};

/// Fast path: float32 input of rank 3 to 5, and (MaxPool) no Indices output. Windows use the
/// ONNX output size (ResolveWindow); oneDNN gets the end padding that yields it. AveragePool with
/// count_include_pad falls back when ceil_mode adds end padding beyond the explicit pads (ONNX
/// does not count those positions, oneDNN would).
class PoolKernel : public FallbackKernel {
 public:
  /// `block` > 0: the Blocked* op, X and Y channel-blocked by `block`.
  PoolKernel(std::unique_ptr<Kernel> fallback, bool max, bool global, WindowAttrs attrs, bool count_include_pad,
             int64_t block = 0)
      : FallbackKernel(std::move(fallback)),
        max_(max),
        global_(global),
        attrs_(std::move(attrs)),
        count_include_pad_(count_include_pad),
        block_(block) {}

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!AllFloat32NonEmpty({x})) return Fallback(ctx);
    // The logical [N, C, spatial...] shape of X; blocked, C counts the padding channels too.
    Shape x_shape = x->shape();
    if (block_ > 0) {
      if (x->rank() < 4 || x->shape().back() != block_) return Fallback(ctx);
      x_shape.pop_back();
      x_shape[1] *= block_;
    }
    if (x_shape.size() < 3 || x_shape.size() > 5) return Fallback(ctx);
    const std::vector<int64_t> spatial(x_shape.begin() + 2, x_shape.end());
    WindowGeometry g;
    if (global_) {
      g.in = g.kernel = spatial;
      g.out = g.strides = g.dilations = std::vector<int64_t>(spatial.size(), 1);
      g.pad_begin = g.pad_end = std::vector<int64_t>(spatial.size(), 0);
    } else {
      Result<WindowGeometry> geometry = ResolveWindow(attrs_, attrs_.kernel, spatial);
      if (!geometry.ok()) return Fallback(ctx);  // the reference reports the error
      g = std::move(geometry).value();
    }
    std::vector<int64_t> pad_end(g.rank());
    for (size_t d = 0; d < g.rank(); ++d) {
      const int64_t reach = (g.out[d] - 1) * g.strides[d] + (g.kernel[d] - 1) * g.dilations[d] + 1;
      pad_end[d] = std::max(g.pad_end[d], reach - g.in[d] - g.pad_begin[d]);
      if (!max_ && count_include_pad_ && pad_end[d] != g.pad_end[d]) return Fallback(ctx);
    }
    Shape out_shape = {x_shape[0], x_shape[1]};
    out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
    if (block_ > 0 && !BlockedDesc(x_shape, block_)) return Fallback(ctx);
    const Shape stored_out_shape = block_ > 0 ? BlockedShape(out_shape, block_) : out_shape;

    const int threads = ThreadsFor(
        ctx, static_cast<double>(reference::Product(out_shape)) * static_cast<double>(reference::Product(g.kernel)));
    std::vector<int64_t> key = {threads};
    AppendShape(key, x->shape());
    return CatchDnnl(max_ ? "MaxPool" : "AveragePool", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const PoolPrimitive> p, cache_.GetOrCreate(key, [&] {
        auto entry = std::make_shared<PoolPrimitive>();
        entry->src = block_ > 0 ? *BlockedDesc(x_shape, block_) : PlainDesc(x_shape);
        entry->dst = block_ > 0 ? *BlockedDesc(out_shape, block_) : PlainDesc(out_shape);
        dnnl::memory::dims dilations = g.dilations;
        for (int64_t& d : dilations) d -= 1;  // oneDNN counts the gaps
        const dnnl::algorithm algorithm = max_                 ? dnnl::algorithm::pooling_max
                                          : count_include_pad_ ? dnnl::algorithm::pooling_avg_include_padding
                                                               : dnnl::algorithm::pooling_avg_exclude_padding;
        try {
          const dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, entry->src,
                                                    entry->dst, g.strides, g.kernel, dilations, g.pad_begin, pad_end);
          entry->pd = std::make_unique<dnnl::pooling_v2_forward::primitive_desc>(desc, DefaultAttr(), CpuEngine());
          entry->primitive = dnnl::pooling_v2_forward(*entry->pd);
        } catch (const dnnl::error&) {
          entry->pd.reset();
        }
        return Result<std::shared_ptr<const PoolPrimitive>>(std::shared_ptr<const PoolPrimitive>(std::move(entry)));
      }));
      if (p->pd == nullptr) return Fallback(ctx);
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, stored_out_shape));
      Execute(p->primitive, *p->pd, {{DNNL_ARG_SRC, WrapTensor(p->src, *x)}, {DNNL_ARG_DST, WrapTensor(p->dst, out)}});
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  bool max_, global_;
  WindowAttrs attrs_;
  bool count_include_pad_;
  int64_t block_;
  PrimitiveCache<PoolPrimitive> cache_;
};

/// Registers the oneDNN kernel of `op` (ONNX domain) and of com.mlserving Blocked`op`.
void RegisterPool(KernelRegistry& registry, const char* op, bool max, bool global) {
  KernelFactoryWithConstants reference = PreviousFactory(registry, op);
  if (!reference) return;
  const std::string blocked_op = std::string("Blocked") + op;
  if (const KernelFactoryWithConstants* blocked_reference = registry.FindWithConstants(kMlServingDomain, blocked_op)) {
    registry.RegisterWithConstants(
        kMlServingDomain, blocked_op,
        [reference = *blocked_reference, max, global](
            const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));  // validates `block`
          WindowAttrs attrs;
          if (!global) {
            ASSIGN_OR_RETURN(attrs, ReadWindowAttrs(node, true));
          }
          return std::unique_ptr<Kernel>(
              std::make_unique<PoolKernel>(std::move(fallback), max, global, std::move(attrs),
                                           node.GetInt("count_include_pad", 0) != 0, node.GetInt(kBlockAttr, 0)));
        });
  }
  registry.RegisterWithConstants(
      kOnnxDomain, op,
      [reference, max, global](const ir::Node& node,
                               const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
        ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
        // MaxPool's Indices output is the reference's job.
        if (node.outputs.size() > 1 && node.outputs[1] != ir::kNoValue) return fallback;
        WindowAttrs attrs;
        if (!global) {
          ASSIGN_OR_RETURN(attrs, ReadWindowAttrs(node, true));
        }
        return std::unique_ptr<Kernel>(std::make_unique<PoolKernel>(std::move(fallback), max, global, std::move(attrs),
                                                                    node.GetInt("count_include_pad", 0) != 0));
      });
}

}  // namespace

void RegisterPoolKernels(KernelRegistry& registry) {
  RegisterPool(registry, "MaxPool", true, false);
  RegisterPool(registry, "AveragePool", false, false);
  RegisterPool(registry, "GlobalMaxPool", true, true);
  RegisterPool(registry, "GlobalAveragePool", false, true);
}

}  // namespace mlserving::kernels::onednn
