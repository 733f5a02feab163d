// ZipMap (ai.onnx.ml).
//
// Contract: ZipMap's real output is a sequence of maps (one {class label -> score} map per row).
// In this project that value (ir::ValueKind::kSequenceOfMaps) is carried at run time as the
// [batch, classes] float tensor of scores it was built from, with the class labels recorded on
// the graph; the output layer renders it as maps. The kernel therefore returns its input tensor
// unchanged (sharing its buffer) after checking that it is float [N, C] (or [C]) with C equal to
// the number of classlabels_strings / classlabels_int64s.

#include <string>
#include <utility>
#include <vector>

#include "kernels/reference/ml_common.h"
#include "kernels/reference/ml_ops.h"

namespace mlserving::kernels::reference {
namespace {

class ZipMapKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    const size_t num_strings = node.GetStrings("classlabels_strings").size();
    const size_t num_ints = node.GetInts("classlabels_int64s").size();
    if ((num_strings == 0) == (num_ints == 0)) {
      return InvalidArgument("exactly one of classlabels_strings and classlabels_int64s must be given");
    }
    auto kernel = std::make_unique<ZipMapKernel>();
    kernel->num_classes_ = static_cast<int64_t>(num_strings + num_ints);
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    if (input->dtype() != DType::kFloat32 || input->rank() < 1 || input->rank() > 2) {
      return InvalidArgument("ZipMap takes a float [N, C] tensor, got " + input->DebugString());
    }
    const int64_t classes = input->dim(input->rank() - 1);
    if (classes != num_classes_) {
      return InvalidArgument("ZipMap has " + std::to_string(num_classes_) + " class labels but its input " +
                             input->DebugString() + " has " + std::to_string(classes) + " columns");
    }
    ml::SetOutput(ctx, 0, *input);
    return Status::Ok();
  }

 private:
  int64_t num_classes_ = 0;
};

}  // namespace

void RegisterMlZipMapKernels(KernelRegistry& registry) {
  registry.Register(kOnnxMlDomain, "ZipMap", ZipMapKernel::Create);
}

}  // namespace mlserving::kernels::reference
