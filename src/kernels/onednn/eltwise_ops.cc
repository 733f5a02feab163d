// Elementwise activations on the oneDNN eltwise primitive (float32): Relu, LeakyRelu, Elu,
// Sigmoid, Tanh, Gelu (exact and tanh approximation).

#include <string>
#include <vector>

#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::onednn {
namespace {

using reference::SetOutput;

/// Below this many elements the reference loop is as fast as setting up a oneDNN call.
constexpr int64_t kMinElements = 4096;

struct EltwisePrimitive {
  std::unique_ptr<dnnl::eltwise_forward::primitive_desc> pd;  ///< null: fall back
  dnnl::eltwise_forward primitive;
  dnnl::memory::desc data;
};

/// y = f(x) over the tensor viewed as 1-D. Fast path: float32 with at least kMinElements.
class EltwiseKernel : public FallbackKernel {
 public:
  EltwiseKernel(std::unique_ptr<Kernel> fallback, dnnl::algorithm algorithm, float alpha)
      : FallbackKernel(std::move(fallback)), algorithm_(algorithm), alpha_(alpha) {}

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!AllFloat32NonEmpty({x}) || x->num_elements() < kMinElements) return Fallback(ctx);
    const int threads = ThreadsFor(ctx, static_cast<double>(x->num_elements()));
    const std::vector<int64_t> key = {threads, x->num_elements()};
    return CatchDnnl("eltwise", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const EltwisePrimitive> p, cache_.GetOrCreate(key, [&] {
        auto entry = std::make_shared<EltwisePrimitive>();
        entry->data = PlainDesc({x->num_elements()});
        try {
          const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm_, entry->data, alpha_);
          entry->pd = std::make_unique<dnnl::eltwise_forward::primitive_desc>(desc, DefaultAttr(), CpuEngine());
          entry->primitive = dnnl::eltwise_forward(*entry->pd);
        } catch (const dnnl::error&) {
          entry->pd.reset();
        }
        return Result<std::shared_ptr<const EltwisePrimitive>>(
            std::shared_ptr<const EltwisePrimitive>(std::move(entry)));
      }));
      if (p->pd == nullptr) return Fallback(ctx);
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, x->shape()));
      Execute(p->primitive, *p->pd,
              {{DNNL_ARG_SRC, WrapTensor(p->data, *x)}, {DNNL_ARG_DST, WrapTensor(p->data, out)}});
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  dnnl::algorithm algorithm_;
  float alpha_;
  PrimitiveCache<EltwisePrimitive> cache_;
};

/// Registers `op` as the eltwise `algorithm`; `alpha` maps the node to the primitive's alpha, or
/// returns nullopt for attribute values the fast path does not cover.
void RegisterEltwise(KernelRegistry& registry, const char* op,
                     std::function<std::optional<std::pair<dnnl::algorithm, float>>(const ir::Node&)> select) {
  KernelFactoryWithConstants reference = PreviousFactory(registry, op);
  if (!reference) return;
  registry.RegisterWithConstants(
      kOnnxDomain, op,
      [reference, select](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
        ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
        const std::optional<std::pair<dnnl::algorithm, float>> choice = select(node);
        if (!choice) return fallback;
        return std::unique_ptr<Kernel>(
            std::make_unique<EltwiseKernel>(std::move(fallback), choice->first, choice->second));
      });
}

}  // namespace

void RegisterEltwiseKernels(KernelRegistry& registry) {
  using Choice = std::optional<std::pair<dnnl::algorithm, float>>;
  RegisterEltwise(registry, "Relu", [](const ir::Node&) -> Choice { return {{dnnl::algorithm::eltwise_relu, 0.0f}}; });
  RegisterEltwise(registry, "LeakyRelu", [](const ir::Node& node) -> Choice {
    return {{dnnl::algorithm::eltwise_relu, node.GetFloat("alpha", 0.01f)}};
  });
  RegisterEltwise(registry, "Elu", [](const ir::Node& node) -> Choice {
    return {{dnnl::algorithm::eltwise_elu, node.GetFloat("alpha", 1.0f)}};
  });
  RegisterEltwise(registry, "Sigmoid", [](const ir::Node&) -> Choice {
    return {{dnnl::algorithm::eltwise_logistic, 0.0f}};
  });
  RegisterEltwise(registry, "Tanh", [](const ir::Node&) -> Choice { return {{dnnl::algorithm::eltwise_tanh, 0.0f}}; });
  RegisterEltwise(registry, "Gelu", [](const ir::Node& node) -> Choice {
    const std::string approximate = node.GetString("approximate", "none");
    if (approximate == "none") return {{dnnl::algorithm::eltwise_gelu_erf, 0.0f}};
    if (approximate == "tanh") return {{dnnl::algorithm::eltwise_gelu_tanh, 0.0f}};
    return std::nullopt;
  });
}

}  // namespace mlserving::kernels::onednn
