// The ops the graph optimizer fuses (com.mlserving domain), as the composition of the reference
// kernels they replace:
// - FusedConv(X, W, [B]): Conv with Conv's attributes, then the activation (fused_activation.h).
// - FusedMatMul(A, B, [bias]): MatMul, plus bias ([N], broadcast over the last dim of the
//   product), then the activation.

#include <string>
#include <vector>

#include "kernels/fused_activation.h"
#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

/// `node` as the plain ONNX op `op_type` it extends: same inputs (the first `inputs`),
/// outputs and attributes, without the activation ones.
ir::Node AsOnnxNode(const ir::Node& node, const char* op_type, size_t inputs) {
  ir::Node plain = node;
  plain.op_type = op_type;
  plain.domain = kOnnxDomain;
  plain.opset = 13;
  if (plain.inputs.size() > inputs) plain.inputs.resize(inputs);
  plain.attributes.erase("activation");
  plain.attributes.erase("activation_params");
  return plain;
}

/// Adds bias[n] to every row of `out` (viewed as [rows, N]) in place.
Status AddRowBias(const Tensor& bias, Tensor& out) {
  if (out.rank() == 0 || bias.rank() != 1 || bias.dim(0) != out.shape().back() || bias.dtype() != out.dtype()) {
    return InvalidArgument("FusedMatMul bias must be a 1-D tensor of the product's type with one element per column: " +
                           bias.DebugString() + " for a product " + out.DebugString());
  }
  const int64_t n = bias.dim(0);
  auto add = [&](auto* data, const auto* b) {
    for (int64_t i = 0; i < out.num_elements(); ++i) data[i] += b[i % n];
  };
  if (out.dtype() == DType::kFloat32) {
    add(out.data<float>(), bias.data<float>());
  } else if (out.dtype() == DType::kFloat64) {
    add(out.data<double>(), bias.data<double>());
  } else {
    return UnsupportedDType(out.dtype());
  }
  return Status::Ok();
}

/// The kernel of the plain op, then the bias (input `bias_input`, when given and present) and
/// the activation on its output.
class FusedKernel : public Kernel {
 public:
  FusedKernel(std::unique_ptr<Kernel> base, FusedActivation activation, std::optional<size_t> bias_input)
      : base_(std::move(base)), activation_(activation), bias_input_(bias_input) {}

  Status Compute(KernelContext& ctx) const override {
    const DType dtype = ctx.input(0) != nullptr ? ctx.input(0)->dtype() : DType::kFloat32;
    if (dtype != DType::kFloat32 && dtype != DType::kFloat64) return UnsupportedDType(dtype);
    RETURN_IF_ERROR(base_->Compute(ctx));
    if (ctx.outputs.empty() || !ctx.outputs[0].defined()) return Internal("fused op: base kernel produced no output");
    Tensor& out = ctx.outputs[0];
    if (bias_input_) {
      if (const Tensor* bias = ctx.input(*bias_input_)) RETURN_IF_ERROR(AddRowBias(*bias, out));
    }
    return ApplyFusedActivation(activation_, out);
  }

 private:
  std::unique_ptr<Kernel> base_;
  FusedActivation activation_;
  std::optional<size_t> bias_input_;
};

}  // namespace

void RegisterFusedKernels(KernelRegistry& registry) {
  if (const KernelFactoryWithConstants* conv = registry.FindWithConstants(kOnnxDomain, "Conv")) {
    registry.RegisterWithConstants(
        kMlServingDomain, "FusedConv",
        [conv = *conv](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(FusedActivation activation, ReadFusedActivation(node));
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> base, conv(AsOnnxNode(node, "Conv", 3), create));
          return std::unique_ptr<Kernel>(std::make_unique<FusedKernel>(std::move(base), activation, std::nullopt));
        });
  }
  if (const KernelFactoryWithConstants* matmul = registry.FindWithConstants(kOnnxDomain, "MatMul")) {
    registry.RegisterWithConstants(
        kMlServingDomain, "FusedMatMul",
        [matmul = *matmul](const ir::Node& node, const KernelCreateContext& create) -> Result<std::unique_ptr<Kernel>> {
          ASSIGN_OR_RETURN(FusedActivation activation, ReadFusedActivation(node));
          ASSIGN_OR_RETURN(std::unique_ptr<Kernel> base, matmul(AsOnnxNode(node, "MatMul", 2), create));
          return std::unique_ptr<Kernel>(std::make_unique<FusedKernel>(std::move(base), activation, size_t{2}));
        });
  }
}

}  // namespace mlserving::kernels::reference
