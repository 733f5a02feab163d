#include "kernels/reference/ml_common.h"

namespace mlserving::kernels::reference::ml {

Result<PostTransform> ParsePostTransform(const ir::Node& node) {
  const std::string name = node.GetString("post_transform", "NONE");
  if (name == "NONE") return PostTransform::kNone;
  if (name == "SOFTMAX") return PostTransform::kSoftmax;
  if (name == "LOGISTIC") return PostTransform::kLogistic;
  if (name == "SOFTMAX_ZERO") return PostTransform::kSoftmaxZero;
  if (name == "PROBIT") return PostTransform::kProbit;
  return InvalidArgument("unknown post_transform '" + name +
                         "' (expected NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO or PROBIT)");
}

Result<MatrixShape> AsMatrix(const Tensor& tensor) {
  if (tensor.rank() == 1) return MatrixShape{1, tensor.dim(0)};
  if (tensor.rank() == 2) return MatrixShape{tensor.dim(0), tensor.dim(1)};
  return InvalidArgument("expected a [N, F] or [F] input, got " + tensor.DebugString());
}

Result<const Tensor*> RequireInput(const KernelContext& ctx, size_t index) {
  const Tensor* tensor = ctx.input(index);
  if (tensor == nullptr) return InvalidArgument("input " + std::to_string(index) + " is missing");
  return tensor;
}

Result<FloatListAttribute> GetFloatList(const ir::Node& node, const std::string& name) {
  FloatListAttribute result;
  const ir::Attribute* list = node.Find(name);
  const ir::Attribute* tensor = node.Find(name + "_as_tensor");
  if (list != nullptr && tensor != nullptr) {
    return InvalidArgument("attributes " + name + " and " + name + "_as_tensor are mutually exclusive");
  }
  if (list != nullptr) {
    result.present = true;
    result.values.assign(list->floats.begin(), list->floats.end());
  } else if (tensor != nullptr) {
    const Tensor& t = tensor->t;
    if (!t.defined() || (t.dtype() != DType::kFloat32 && t.dtype() != DType::kFloat64)) {
      return InvalidArgument("attribute " + name + "_as_tensor must be a float or double tensor");
    }
    result.present = true;
    result.from_double_tensor = t.dtype() == DType::kFloat64;
    RETURN_IF_ERROR(ConvertToVector(t, result.values));
  }
  return result;
}

Status CheckSameLength(size_t expected, const std::string& expected_name, size_t actual, const std::string& name) {
  if (expected == actual) return Status::Ok();
  return InvalidArgument("attribute " + name + " has " + std::to_string(actual) + " elements but " + expected_name +
                         " has " + std::to_string(expected));
}

}  // namespace mlserving::kernels::reference::ml
