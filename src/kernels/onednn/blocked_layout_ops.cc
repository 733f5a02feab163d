// ToBlocked and FromBlocked (com.mlserving, kernels/blocked_layout.h) as oneDNN reorders
// (float32, rank 3 to 5, blocks oneDNN has a layout for: 8, 16 or the channel count); every other
// case is the reference kernel's.

#include <memory>
#include <vector>

#include "kernels/blocked_layout.h"
#include "kernels/fused_activation.h"
#include "kernels/onednn/blocked_desc.h"
#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::onednn {
namespace {

struct ReorderPrimitive {
  std::unique_ptr<dnnl::reorder::primitive_desc> pd;  ///< null: fall back
  dnnl::reorder primitive;
  dnnl::memory::desc src, dst;
};

/// ToBlocked (`to_blocked`) or FromBlocked of `channels` channels, by `block`.
class LayoutKernel : public FallbackKernel {
 public:
  LayoutKernel(std::unique_ptr<Kernel> fallback, bool to_blocked, int64_t block, int64_t channels)
      : FallbackKernel(std::move(fallback)), to_blocked_(to_blocked), block_(block), channels_(channels) {}

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!AllFloat32NonEmpty({x})) return Fallback(ctx);
    // The plain (logical) shape and the stored blocked shape.
    Shape plain = x->shape();
    if (!to_blocked_) {
      if (x->rank() < 4 || x->shape().back() != block_ || x->dim(1) != ChannelBlocks(channels_, block_)) {
        return Fallback(ctx);  // the reference reports the error
      }
      plain.pop_back();
      plain[1] = channels_;
    }
    if (plain.size() < 3 || plain.size() > 5) return Fallback(ctx);
    const std::optional<dnnl::memory::desc> blocked_desc = BlockedDesc(plain, block_);
    if (!blocked_desc) return Fallback(ctx);
    const int threads = ThreadsFor(ctx, static_cast<double>(x->num_elements()));
    std::vector<int64_t> key = {threads};
    AppendShape(key, x->shape());
    return CatchDnnl(to_blocked_ ? "ToBlocked" : "FromBlocked", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const ReorderPrimitive> p, cache_.GetOrCreate(key, [&] {
        auto entry = std::make_shared<ReorderPrimitive>();
        entry->src = to_blocked_ ? PlainDesc(plain) : *blocked_desc;
        entry->dst = to_blocked_ ? *blocked_desc : PlainDesc(plain);
        try {
          entry->pd = std::make_unique<dnnl::reorder::primitive_desc>(CpuEngine(), entry->src, CpuEngine(), entry->dst,
                                                                      DefaultAttr());
          // Execute() takes a convolution-style primitive_desc for its scratchpad; a reorder that
          // would need one falls back instead.
          if (entry->pd->scratchpad_desc().get_size() != 0) throw dnnl::error(dnnl_unimplemented, "scratchpad");
          entry->primitive = dnnl::reorder(*entry->pd);
        } catch (const dnnl::error&) {
          entry->pd.reset();
        }
        return Result<std::shared_ptr<const ReorderPrimitive>>(
            std::shared_ptr<const ReorderPrimitive>(std::move(entry)));
      }));
      if (p->pd == nullptr) return Fallback(ctx);
      // oneDNN's reorder writes the padding channels of a blocked destination as zero.
      ASSIGN_OR_RETURN(Tensor out,
                       ctx.AllocateUninitialized(DType::kFloat32, to_blocked_ ? BlockedShape(plain, block_) : plain));
      thread_local dnnl::stream stream(CpuEngine());
      dnnl::memory from = WrapTensor(p->src, *x), to = WrapTensor(p->dst, out);
      p->primitive.execute(stream, from, to);
      stream.wait();
      reference::SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  bool to_blocked_;
  int64_t block_, channels_;
  PrimitiveCache<ReorderPrimitive> cache_;
};

}  // namespace

void RegisterBlockedLayoutKernels(KernelRegistry& registry) {
  for (const bool to_blocked : {true, false}) {
    const char* op = to_blocked ? "ToBlocked" : "FromBlocked";
    const KernelFactoryWithConstants* reference = registry.FindWithConstants(kMlServingDomain, op);
    if (reference == nullptr) continue;
    registry.RegisterWithConstants(
        kMlServingDomain, op,
        [reference = *reference, to_blocked](const ir::Node& node,
                                             const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          // The reference factory validates `block` and `channels`.
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
          return std::unique_ptr<Kernel>(std::make_unique<LayoutKernel>(
              std::move(fallback), to_blocked, node.GetInt(kBlockAttr, 0), node.GetInt("channels", 0)));
        });
  }
}

}  // namespace mlserving::kernels::onednn
