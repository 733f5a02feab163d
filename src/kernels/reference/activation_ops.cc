// Activations with a learned parameter tensor: PRelu.

#include <string>
#include <type_traits>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// PRelu: y = x < 0 ? slope * x : x, slope broadcasting unidirectionally to X. Before opset 7 a
/// 1-D slope of X.dim(1) entries is per channel (as Caffe and old PyTorch exports meant it).
class PReluKernel : public Kernel {
 public:
  explicit PReluKernel(bool legacy_channel_slope) : legacy_channel_slope_(legacy_channel_slope) {}

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* slope, RequiredInput(ctx, 1));
    if (slope->dtype() != x->dtype()) {
      return InvalidArgument("PRelu slope " + slope->DebugString() + " must have X's type " + x->DebugString());
    }
    Shape slope_shape = slope->shape();
    if (legacy_channel_slope_ && slope->rank() == 1 && x->rank() >= 2 && slope->dim(0) == x->dim(1) &&
        slope->dim(0) != 1) {
      slope_shape.resize(static_cast<size_t>(x->rank() - 1), 1);
    }
    Result<Shape> b = BroadcastShapes(slope_shape, x->shape());
    if (!b.ok() || *b != x->shape()) {
      return InvalidArgument("PRelu slope " + slope->DebugString() + " does not broadcast to " + x->DebugString());
    }
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(x->dtype(), x->shape()));
    const std::vector<int64_t> slope_strides = BroadcastStrides(slope_shape, x->shape());
    RETURN_IF_ERROR(DispatchNumeric(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* px = x->data<T>();
      const T* ps = slope->data<T>();
      T* po = out.data<T>();
      ForEachStrided<1>(x->shape(), {slope_strides}, [&](int64_t i, const std::array<int64_t, 1>& off) {
        const auto v = Widen(px[i]);
        if constexpr (std::is_unsigned_v<T>) {
          po[i] = px[i];
        } else if constexpr (std::is_integral_v<T>) {  // wrapping, as the other integer kernels
          po[i] = v < 0 ? static_cast<T>(static_cast<uint64_t>(ps[off[0]]) * static_cast<uint64_t>(v)) : px[i];
        } else {
          po[i] = v < 0 ? Narrow<T>(static_cast<ComputeType<T>>(Widen(ps[off[0]]) * v)) : px[i];
        }
      });
      return Status::Ok();
    }));
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  bool legacy_channel_slope_;
};

}  // namespace

void RegisterActivationKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "PRelu", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    return std::unique_ptr<Kernel>(std::make_unique<PReluKernel>(node.opset > 0 && node.opset < 7));
  });
}

}  // namespace mlserving::kernels::reference
