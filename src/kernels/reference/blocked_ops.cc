// The com.mlserving ops over the channel-blocked layout (kernels/blocked_layout.h), as the plain
// reference kernels between layout conversions: ToBlocked, FromBlocked, and BlockedConv /
// Blocked{Max,Average,GlobalMax,GlobalAverage}Pool = unblock the input, run the plain op (FusedConv
// or the ONNX pool), block the output.

#include <string>
#include <vector>

#include "kernels/blocked_layout.h"
#include "kernels/fused_activation.h"
#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// The block attribute of `node`; kInvalidArgument unless >= 1.
Result<int64_t> ReadBlock(const ir::Node& node) {
  const int64_t block = node.GetInt(kBlockAttr, 0);
  if (block < 1) return InvalidArgument(node.op_type + " needs a positive integer attribute 'block'");
  return block;
}

/// How a wrapped op finds the logical channel count of its blocked input 0.
enum class InputChannels {
  kPlain,        ///< input 0 is plain (BlockedConv with src_block = 0)
  kFromWeights,  ///< W's input channels × group (BlockedConv, X blocked by src_block)
  kAllBlocks,    ///< every stored channel, padding included (the pools)
};

/// The plain op between layout conversions: input 0 unblocked (unless kPlain; its block is
/// `src_block`), output 0 blocked by `block`.
class BlockedWrapperKernel : public Kernel {
 public:
  BlockedWrapperKernel(std::unique_ptr<Kernel> plain, int64_t block, int64_t src_block, InputChannels channels,
                       int64_t group)
      : plain_(std::move(plain)), block_(block), src_block_(src_block), channels_(channels), group_(group) {}

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (x == nullptr) return InvalidArgument("blocked op: missing input X");
    KernelContext inner = ctx;
    inner.outputs.assign(ctx.outputs.size(), Tensor());
    Tensor unblocked;
    if (channels_ != InputChannels::kPlain) {
      if (x->rank() < 4 || x->shape().back() != src_block_) {
        return InvalidArgument("blocked op: input X " + x->DebugString() + " is not in the blocked layout of block " +
                               std::to_string(src_block_));
      }
      int64_t channels = x->dim(1) * src_block_;
      if (channels_ == InputChannels::kFromWeights) {
        const Tensor* w = ctx.input(1);
        if (w == nullptr || w->rank() < 2) return InvalidArgument("BlockedConv: missing or scalar W");
        channels = w->dim(1) * group_;
      }
      ASSIGN_OR_RETURN(unblocked, FromBlockedLayout(ctx, *x, channels));
      inner.inputs[0] = &unblocked;
    }
    RETURN_IF_ERROR(plain_->Compute(inner));
    for (size_t i = 1; i < inner.outputs.size(); ++i) ctx.outputs[i] = std::move(inner.outputs[i]);
    if (inner.outputs.empty() || !inner.outputs[0].defined()) return Internal("blocked op: no output");
    ASSIGN_OR_RETURN(Tensor blocked, ToBlockedLayout(ctx, inner.outputs[0], block_));
    SetOutput(ctx, 0, std::move(blocked));
    return Status::Ok();
  }

 private:
  std::unique_ptr<Kernel> plain_;
  int64_t block_, src_block_;
  InputChannels channels_;
  int64_t group_;
};

/// `node` without the blocked-layout attributes, as `op_type` of `domain`.
ir::Node AsPlainNode(const ir::Node& node, const std::string& op_type, const char* domain) {
  ir::Node plain = node;
  plain.op_type = op_type;
  plain.domain = domain;
  plain.attributes.erase(kBlockAttr);
  plain.attributes.erase("src_block");
  plain.attributes.erase("channels");
  return plain;
}

}  // namespace

void RegisterBlockedKernels(KernelRegistry& registry) {
  registry.Register(kMlServingDomain, "ToBlocked", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(const int64_t block, ReadBlock(node));
    return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>([block](KernelContext& ctx) -> Status {
      const Tensor* x = ctx.input(0);
      if (x == nullptr) return InvalidArgument("ToBlocked: missing input");
      ASSIGN_OR_RETURN(Tensor out, ToBlockedLayout(ctx, *x, block));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    }));
  });
  registry.Register(kMlServingDomain, "FromBlocked", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(const int64_t block, ReadBlock(node));
    const int64_t channels = node.GetInt("channels", 0);
    if (channels < 1) return InvalidArgument("FromBlocked needs a positive integer attribute 'channels'");
    return std::unique_ptr<Kernel>(std::make_unique<FunctionKernel>([block, channels](KernelContext& ctx) -> Status {
      const Tensor* x = ctx.input(0);
      if (x == nullptr || x->rank() == 0 || x->shape().back() != block) {
        return InvalidArgument("FromBlocked: input is not in the blocked layout of block " + std::to_string(block));
      }
      ASSIGN_OR_RETURN(Tensor out, FromBlockedLayout(ctx, *x, channels));
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    }));
  });
  if (const KernelFactoryWithConstants* fused = registry.FindWithConstants(kMlServingDomain, "FusedConv")) {
    registry.RegisterWithConstants(
        kMlServingDomain, "BlockedConv",
        [fused = *fused](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(const int64_t block, ReadBlock(node));
          const int64_t group = node.GetInt("group", 1);
          if (group < 1) return InvalidArgument("BlockedConv: group must be positive");
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> plain,
                           fused(AsPlainNode(node, "FusedConv", kMlServingDomain), create));
          const int64_t src_block = node.GetInt("src_block", 0);
          if (src_block < 0) return InvalidArgument("BlockedConv: src_block must be 0 (plain X) or positive");
          const InputChannels channels = src_block > 0 ? InputChannels::kFromWeights : InputChannels::kPlain;
          return std::unique_ptr<Kernel>(
              std::make_unique<BlockedWrapperKernel>(std::move(plain), block, src_block, channels, group));
        });
  }
  for (const char* op : {"MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool"}) {
    const KernelFactoryWithConstants* pool = registry.FindWithConstants(kOnnxDomain, op);
    if (pool == nullptr) continue;
    registry.RegisterWithConstants(
        kMlServingDomain, std::string("Blocked") + op,
        [pool = *pool, op = std::string(op)](const ir::Node& node,
                                             const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(const int64_t block, ReadBlock(node));
          if (node.outputs.size() > 1) return InvalidArgument("Blocked" + op + " has one output");
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> plain, pool(AsPlainNode(node, op, kOnnxDomain), create));
          return std::unique_ptr<Kernel>(
              std::make_unique<BlockedWrapperKernel>(std::move(plain), block, block, InputChannels::kAllBlocks, 1));
        });
  }
}

}  // namespace mlserving::kernels::reference
