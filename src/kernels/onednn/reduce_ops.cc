// ReduceSum and ReduceMean on the oneDNN reduction primitive (float32), where it pays: the reduced
// dims form the trailing block of the input (size-1 dims aside), e.g. a BERT [1,128,768] mean over
// the last axis or a ResNet [1,512,7,7] mean over axes 2,3, with at least kMinElements inputs.
// There oneDNN's JIT code is 1.8-4.5x faster than the reference's vectorised rows (docs/PERFORMANCE.md,
// "Elementwise and reductions on oneDNN"). Everything else runs on the reference kernel: leading or
// middle reduced blocks (oneDNN 2.6 is up to 60x slower there), small inputs, the other Reduce*
// kinds (oneDNN does not promise the NaN propagation ONNX wants from ReduceMax/Min), empty axes, invalid inputs.

#include <string>
#include <vector>

#include "kernels/onednn/families.h"
#include "kernels/onednn/onednn_util.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::onednn {
namespace {

using reference::NormalizeAxes;
using reference::ReadInt64s;
using reference::SetOutput;

/// Below this many input elements the reference loop is as fast as a oneDNN call.
constexpr int64_t kMinElements = 4096;

struct ReducePrimitive {
  std::unique_ptr<dnnl::reduction::primitive_desc> pd;  ///< null: fall back
  dnnl::reduction primitive;
  dnnl::memory::desc src, dst;
};

/// The reduction viewed as [rows, count] -> [rows] when the reduced dims of `shape` (size-1 dims
/// aside) are exactly its trailing non-1 dims; {0, 0} otherwise.
std::pair<int64_t, int64_t> TrailingBlock(const Shape& shape, const std::vector<bool>& reduced) {
  int64_t rows = 1, count = 1;
  bool in_reduced_block = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (reduced[d]) {
      in_reduced_block = true;
      count *= shape[d];
    } else {
      if (in_reduced_block) return {0, 0};  // a kept dim after a reduced one
      rows *= shape[d];
    }
  }
  return {rows, count};
}

/// ReduceSum / ReduceMean with the reference kernel's axes semantics (attribute or input 1,
/// keepdims, noop_with_empty_axes); the fast path is the trailing-block case described above.
class ReduceKernel : public FallbackKernel {
 public:
  ReduceKernel(std::unique_ptr<Kernel> fallback, dnnl::algorithm algorithm, bool axes_from_input,
               std::vector<int64_t> attr_axes, bool keepdims, bool noop_empty)
      : FallbackKernel(std::move(fallback)),
        algorithm_(algorithm),
        axes_from_input_(axes_from_input),
        attr_axes_(std::move(attr_axes)),
        keepdims_(keepdims),
        noop_empty_(noop_empty) {}

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!AllFloat32NonEmpty({x}) || x->num_elements() < kMinElements) return Fallback(ctx);
    std::vector<int64_t> axes = attr_axes_;
    if (axes_from_input_ && ctx.input(1) != nullptr) {
      Result<std::vector<int64_t>> read = ReadInt64s(*ctx.input(1), "axes");
      if (!read.ok()) return Fallback(ctx);
      axes = std::move(read).value();
    }
    if (axes.empty() && noop_empty_) return Fallback(ctx);
    Result<std::vector<int64_t>> normalized = NormalizeAxes(axes, x->rank());
    if (!normalized.ok()) return Fallback(ctx);
    const Shape& in_shape = x->shape();
    std::vector<bool> reduced(in_shape.size(), normalized->empty());
    for (int64_t a : *normalized) reduced[static_cast<size_t>(a)] = true;
    // Plain variables, not a structured binding: lambdas below capture them (C++20 forbids that
    // for bindings before P1091, and clang 14 refuses it).
    const auto block = TrailingBlock(in_shape, reduced);
    const int64_t rows = block.first, count = block.second;
    if (rows == 0 || count < 2) return Fallback(ctx);
    Shape out_shape;
    for (size_t d = 0; d < in_shape.size(); ++d) {
      if (!reduced[d]) {
        out_shape.push_back(in_shape[d]);
      } else if (keepdims_) {
        out_shape.push_back(1);
      }
    }

    const int threads = ThreadsFor(ctx, static_cast<double>(x->num_elements()));
    const std::vector<int64_t> key = {threads, rows, count};
    return CatchDnnl("Reduce", [&]() -> Status {
      ScopedOmpThreads omp_threads(threads);
      ASSIGN_OR_RETURN(std::shared_ptr<const ReducePrimitive> p, cache_.GetOrCreate(key, [&] {
        auto entry = std::make_shared<ReducePrimitive>();
        entry->src = PlainDesc({rows, count});
        entry->dst = PlainDesc({rows, 1});
        try {
          const dnnl::reduction::desc desc(algorithm_, entry->src, entry->dst, 0.0f, 0.0f);
          entry->pd = std::make_unique<dnnl::reduction::primitive_desc>(desc, DefaultAttr(), CpuEngine());
          entry->primitive = dnnl::reduction(*entry->pd);
        } catch (const dnnl::error&) {
          entry->pd.reset();
        }
        return Result<std::shared_ptr<const ReducePrimitive>>(std::shared_ptr<const ReducePrimitive>(std::move(entry)));
      }));
      if (p->pd == nullptr) return Fallback(ctx);
      ASSIGN_OR_RETURN(Tensor out, ctx.AllocateUninitialized(DType::kFloat32, out_shape));
      Execute(p->primitive, *p->pd, {{DNNL_ARG_SRC, WrapTensor(p->src, *x)}, {DNNL_ARG_DST, WrapTensor(p->dst, out)}});
      SetOutput(ctx, 0, std::move(out));
      return Status::Ok();
    });
  }

 private:
  dnnl::algorithm algorithm_;
  bool axes_from_input_;
  std::vector<int64_t> attr_axes_;
  bool keepdims_;
  bool noop_empty_;
  PrimitiveCache<ReducePrimitive> cache_;
};

/// Registers `op` over its reference kernel; `axes_input_opset` is the opset from which the axes
/// come from input 1 instead of the attribute (as the reference kernel).
void RegisterReduce(KernelRegistry& registry, const char* op, dnnl::algorithm algorithm, int axes_input_opset) {
  KernelFactoryWithConstants reference = PreviousFactory(registry, op);
  if (!reference) return;
  registry.RegisterWithConstants(
      kOnnxDomain, op,
      [reference, algorithm, axes_input_opset](const ir::Node& node,
                                               const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
        ASSIGN_OR_RETURN(std::unique_ptr<Kernel> fallback, reference(node, create));
        return std::unique_ptr<Kernel>(std::make_unique<ReduceKernel>(
            std::move(fallback), algorithm, node.opset >= axes_input_opset, node.GetInts("axes"),
            node.GetInt("keepdims", 1) != 0, node.GetInt("noop_with_empty_axes", 0) != 0));
      });
}

}  // namespace

void RegisterReduceKernels(KernelRegistry& registry) {
  RegisterReduce(registry, "ReduceSum", dnnl::algorithm::reduction_sum, 13);
  RegisterReduce(registry, "ReduceMean", dnnl::algorithm::reduction_mean, 18);
}

}  // namespace mlserving::kernels::onednn
